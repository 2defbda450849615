"""Golden results: what the program does today, recorded once, checked by tests/test_golden.py.

Run ``python tests/golden/record.py`` only when a change of behaviour is intended (and say so in
the commit); a refactoring must leave these results identical.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# eval commands whose JSON must not change: (file name, arguments)
EVALS = {
    "eval_random_aimbot.json": ["eval", "random", "aimbot", "--matches", "50", "--seed", "1", "--json"],
    "eval_champion_aimbot.json": ["eval", "champion", "aimbot", "--matches", "20", "--seed", "1", "--json"],
}

# two seeded inline training updates of a small network (every setting written out, so a change
# of a default elsewhere does not move this record)
TRAIN = {
    "config": dict(seed=3, num_matches=4, self_play_matches=1, num_steps=48, learning_rate=6e-4, anneal_lr=True,
                   gamma=0.99, gae_lambda=0.95, num_minibatches=2, update_epochs=2, norm_adv=True, clip_coef=0.2,
                   clip_vloss=True, ent_coef=0.01, vf_coef=0.5, max_grad_norm=0.5, target_kl=0.0,
                   aim_shaping=0.3, dodge_shaping=0.0, asteroid_reward=0.2, match_time_limit_s=3.0, workers=1,
                   snapshot_every=1, max_snapshots=2, league_bots="idle,random,rookie,aimbot",
                   learner_process=False, eval_every=0, eval_matches=20),
    "observation": dict(width=64, height=32, frames=2, margin=0),
    "network": dict(channels=(4, 8), kernel_sizes=(4, 3), strides=(2, 2), hidden=16),
    "updates": 2,
}

# metadata fields that hold the time of day or a duration: not part of the behaviour
VOLATILE = {"created", "saved", "seconds", "elapsed_s", "wall_time", "eval_s", "rollout_s", "act_s", "env_s",
            "learn_s", "steps_per_s"}


def run_cli(args: list[str]) -> str:
    from click.testing import CliRunner

    import main

    result = CliRunner().invoke(main.cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def weights_hash(params: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for key in sorted(params):
        value = np.ascontiguousarray(params[key])
        digest.update(key.encode())
        digest.update(str(value.dtype).encode())
        digest.update(str(value.shape).encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def stable(value):
    """``value`` with the volatile fields removed, at every depth."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, (list, tuple)):
        return [stable(v) for v in value]
    return value


def train_and_save(folder: Path) -> dict:
    """Two inline updates, saved as ``folder/golden``; what the record holds of it."""
    from agent import saves
    from agent.policy import NetworkConfig
    from agent.session import TrainingSession
    from agent.trainer import TrainConfig
    from game.env import ObservationConfig

    session = TrainingSession.create(
        "golden", TrainConfig(**TRAIN["config"]), ObservationConfig(**TRAIN["observation"]),
        NetworkConfig(**TRAIN["network"]), saves_dir=folder)
    for _ in range(TRAIN["updates"]):
        session.trainer.train_one_update(0.0)
    session.save()
    params, meta = saves.load_agent(folder / "golden" / saves.AGENT_FILE)
    with np.load(folder / "golden" / saves.AGENT_FILE, allow_pickle=False) as data:
        members = {k: ["text" if k == "metadata" else str(data[k].dtype), list(data[k].shape)] for k in data.files}
    return {
        "weights_sha256": weights_hash(session.trainer.policy.params()),
        "saved_weights_sha256": weights_hash(params),
        "agent_file_members": members,
        "agent_metadata": stable(meta),
    }


def record() -> None:
    import tempfile

    for name, args in EVALS.items():
        (HERE / name).write_text(run_cli(args))
    with tempfile.TemporaryDirectory() as tmp:
        result = train_and_save(Path(tmp))
    (HERE / "training.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    record()
