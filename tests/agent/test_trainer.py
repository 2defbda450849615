"""The training loop: exact resume, saving, league bookkeeping."""

from dataclasses import asdict

import numpy as np
import pytest

from agent import saves
from agent.policy import NetworkConfig
from agent.loading import load_policy
from agent.session import TrainingSession
from agent.trainer import Trainer, TrainConfig
from agent.workers import WorkerPool
from game.env import ObservationConfig

TINY_OBS = ObservationConfig(width=64, height=32, frames=2)
TINY_NET = NetworkConfig(channels=(4, 8), kernel_sizes=(4, 3), strides=(2, 2), hidden=16)
TINY = TrainConfig(num_matches=4, self_play_matches=1, num_steps=12, num_minibatches=2, update_epochs=2,
                   snapshot_every=2, eval_every=0, match_time_limit_s=3.0, learner_process=False,
                   workers=1)  # one process: the Trainer itself (tests/agent/test_workers.py: several)


def weights(trainer: Trainer) -> dict:
    return {k: v.copy() for k, v in trainer.policy.params().items()}


@pytest.mark.parametrize("learner_process", [False, True])
def test_stop_and_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path, learner_process):
    # The learning-rate schedule spans each call's budget; both runs below make the same calls.
    config = TrainConfig(**{**asdict(TINY), "learner_process": learner_process})
    straight = TrainingSession.create("straight", config, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    straight.run(steps=2 * TINY.batch_size, handle_sigint=False)
    straight.run(steps=3 * TINY.batch_size, handle_sigint=False)

    first = TrainingSession.create("halves", config, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    first.run(steps=2 * TINY.batch_size, handle_sigint=False)
    updates = first.trainer.update
    del first
    resumed = TrainingSession.resume("halves", saves_dir=tmp_path)
    assert resumed.trainer.update == updates >= 1
    assert resumed.trainer.pending is not None  # the rollout played but not yet learned from
    resumed.run(steps=3 * TINY.batch_size, handle_sigint=False)

    a, b = weights(straight.trainer), weights(resumed.trainer)
    assert a.keys() == b.keys()
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    assert straight.trainer.league.state_dict() == resumed.trainer.league.state_dict()
    assert any(m["kind"] == "snapshot" for m in resumed.trainer.league.state_dict()["members"])


def test_saved_agent_loads_with_its_own_settings(tmp_path):
    session = TrainingSession.create("little", TINY, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    session.run(steps=TINY.batch_size, handle_sigint=False)
    policy, observation, meta = load_policy(tmp_path / "little" / saves.AGENT_FILE)
    assert observation == TINY_OBS and meta["training"]["steps"] == session.trainer.global_step
    for key, value in session.trainer.policy.params().items():
        assert np.array_equal(policy.params()[key], value)
    rows = saves.read_metrics(tmp_path / "little" / saves.METRICS_FILE)
    assert [r["update"] for r in rows] == [1]


def test_creating_over_an_existing_agent_is_refused(tmp_path):
    TrainingSession.create("taken", TINY, TINY_OBS, TINY_NET, saves_dir=tmp_path).run(
        steps=TINY.batch_size, handle_sigint=False)
    with pytest.raises(saves.SaveError, match="already exists"):
        TrainingSession.create("taken", TINY, TINY_OBS, TINY_NET, saves_dir=tmp_path)
    with pytest.raises(saves.SaveError, match="no agent named"):
        TrainingSession.resume("missing", saves_dir=tmp_path)


def test_an_agent_cannot_take_a_bot_name(tmp_path):
    with pytest.raises(saves.SaveError, match="built-in controller"):
        TrainingSession.create("aimbot", TINY, TINY_OBS, TINY_NET, saves_dir=tmp_path)


def test_a_training_state_without_controller_names_restores_them_from_the_league_slots():
    """Runs saved before the batch env kept its controllers' names resume with the same opponents."""
    trainer = Trainer(TINY, TINY_OBS, TINY_NET)
    trainer.train_one_update(0.0)
    state, arrays = trainer.state()
    assert any(name is not None for _, name in state["controllers"])  # some league slot plays a bot now
    older = {k: v for k, v in state.items() if k != "controllers"}
    for saved in (state, older):
        restored = Trainer.restore(saved, arrays)
        assert restored.env.state_dict()["controllers"] == state["controllers"]


def test_a_league_share_decides_who_the_learner_meets():
    """``league_shares="idle=1"``: every league match of a run and of a two-worker pool is against
    the idle bot, though the aimbot is in the league too (and drawn without the share)."""
    base = TrainConfig(**{**asdict(TINY), "num_matches": 8, "league_bots": "idle,aimbot"})
    shared = TrainConfig(**{**asdict(base), "league_shares": "idle=1"})
    opponents = {}
    for label, config in (("base", base), ("shared", shared)):
        trainer = Trainer(config, TINY_OBS, TINY_NET)
        trainer.train_one_update(0.0)
        opponents[label] = set(trainer.opponent_now.values()) | set(trainer.opponent_next.values())
    assert opponents["shared"] == {"idle"}
    assert "aimbot" in opponents["base"]

    pool = WorkerPool(TrainConfig(**{**asdict(shared), "workers": 2}), TINY_OBS, TINY_NET)
    try:
        pool.train_one_update(0.0)
        assert set(pool.opponent_now.values()) == {"idle"}
    finally:
        pool.close(abandon=True)
