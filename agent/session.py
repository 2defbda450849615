"""A named training run on disk: start or resume, spend a budget, checkpoint, log metrics.

Used by ``python main.py train`` (headless) and ``watch`` (in the background of the window).
Checkpoints go to ``saves/NAME/`` (see :mod:`agent.saves`) every ``checkpoint_minutes`` and
when the run stops for any reason, including Ctrl-C (the update in progress is finished first;
a second Ctrl-C abandons it, keeping the last checkpoint).
"""

from __future__ import annotations

import datetime as dt
import signal
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any, Callable

from agent import saves
from agent.manage import RESERVED_NAMES
from agent.nn.conv import conv_output_size
from agent.policy import ActorCritic, NetworkConfig
from agent.trainer import Trainer, TrainConfig
from game.env import NUM_ACTIONS, ObservationConfig


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class TrainingSession:
    """Owns a :class:`Trainer` and its folder ``saves/NAME``."""

    def __init__(self, name: str, trainer: Trainer, folder: Path, created: str, parent: str | None = None) -> None:
        self.name = name
        self.trainer = trainer
        self.folder = folder
        self.created = created
        self.parent = parent
        self.stop_requested = False

    # ------------------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        name: str,
        config: TrainConfig,
        observation: ObservationConfig = ObservationConfig(),
        network: NetworkConfig = NetworkConfig(),
        saves_dir: Path | None = None,
        overwrite: bool = False,
    ) -> TrainingSession:
        folder = saves.agent_dir(name, saves_dir)
        if name.lower() in RESERVED_NAMES:
            raise saves.SaveError(f"{name!r} is the name of a built-in controller; choose another name")
        if (folder / saves.AGENT_FILE).exists() or (folder / saves.TRAINING_FILE).exists():
            if not overwrite:
                raise saves.SaveError(
                    f"an agent named {name!r} already exists; use --resume to continue it or choose another name"
                )
        return cls(name, Trainer(config, observation, network), folder, _now())

    @classmethod
    def from_agent(cls, name: str, parent: str, config: TrainConfig, saves_dir: Path | None = None) -> TrainingSession:
        """A new run ``name`` that starts from the weights of the saved agent ``parent``.

        The new agent sees and thinks as the parent does (its observation and network settings);
        ``config`` sets how it trains from here. Optimizer moments, league, ratings and counters
        start fresh; the metadata names ``parent``. The parent's files are only read.
        """
        path = saves.agent_dir(parent, saves_dir) / saves.AGENT_FILE
        if not path.exists():
            raise saves.SaveError(f"there is no agent named {parent!r} to start from")
        policy, observation, _ = load_policy(path)
        session = cls.create(name, config, observation, policy.config, saves_dir)
        session.trainer.policy.set_params(policy.get_params())
        session.parent = parent
        return session

    @classmethod
    def resume(cls, name: str, saves_dir: Path | None = None) -> TrainingSession:
        folder = saves.agent_dir(name, saves_dir)
        path = folder / saves.TRAINING_FILE
        if not path.exists():
            if (folder / saves.AGENT_FILE).exists():
                raise saves.SaveError(f"agent {name!r} has no training state to resume (it was imported or shipped)")
            raise saves.SaveError(f"there is no agent named {name!r} to resume")
        arrays, meta = saves.read_npz(path)
        try:
            trainer = Trainer.restore(meta["trainer"], arrays)
        except (KeyError, ValueError, TypeError, IndexError, AttributeError, saves.SaveError) as error:
            # a damaged or hand-made training file: say so, never a traceback
            raise saves.SaveError(f"the training state of {name!r} cannot be resumed ({error})") from None
        session = cls(name, trainer, folder, meta.get("created", _now()), meta.get("parent"))
        # metrics logged after the checkpoint belong to updates that will now be redone
        rows = [r for r in saves.read_metrics(folder / saves.METRICS_FILE) if r.get("update", 0) <= trainer.update]
        _rewrite_metrics(folder / saves.METRICS_FILE, rows)
        return session

    # ------------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        t = self.trainer
        last_eval = t.history[-1] if t.history else {}
        return {
            "name": self.name,
            "created": self.created,
            "saved": _now(),
            "parent": self.parent,
            "network": t.network.to_dict(),
            "observation": asdict(t.observation),
            "training": {
                "steps": t.global_step,
                "updates": t.update,
                "seconds": round(t.elapsed_s, 1),
                "matches": t.matches_finished,
                "config": asdict(t.config),
            },
            "elo": round(t.league.learner_rating, 1),
            "league": t.league.table(),
            "evaluation": {k: v for k, v in last_eval.items() if k in ("random", "aimbot")},
            "history": t.history[-200:],
        }

    def save(self) -> None:
        """Write the agent file and the training state (each atomically)."""
        state, arrays = self.trainer.state()
        meta = self.metadata()
        saves.save_agent(self.folder / saves.AGENT_FILE, self.trainer.policy.params(), meta)
        saves.write_npz(self.folder / saves.TRAINING_FILE, arrays,
                        {"trainer": state, "created": self.created, "parent": self.parent})

    # ------------------------------------------------------------------------------------
    def run(
        self,
        steps: int | None = None,
        minutes: float | None = None,
        checkpoint_minutes: float = 5.0,
        on_update: Callable[[dict], None] | None = None,
        handle_sigint: bool = True,
    ) -> dict | None:
        """Train until ``steps`` more samples or ``minutes`` more minutes are spent (or stopped).

        The learning rate anneals over the whole budget of this call: by samples when
        ``steps`` is given, else by time. Time spent inside ``on_update`` does not count against
        ``minutes`` (``watch`` holds training there while learning is paused).
        """
        if steps is None and minutes is None:
            raise ValueError("give a budget: steps or minutes")
        t = self.trainer
        start_step, start_s = t.global_step, time.monotonic()
        end_step = start_step + steps if steps is not None else None
        last_checkpoint = time.monotonic()
        held_s = 0.0  # time spent in on_update
        row = None
        previous = signal.getsignal(signal.SIGINT) if handle_sigint else None
        if handle_sigint:
            signal.signal(signal.SIGINT, self._on_sigint)
        completed = False
        try:
            while not self.stop_requested:
                if end_step is not None:
                    if t.global_step >= end_step:
                        break
                    progress = (t.global_step - start_step) / max(steps, 1)
                else:
                    spent = time.monotonic() - start_s - held_s
                    if spent >= minutes * 60:
                        break
                    progress = spent / (minutes * 60)
                row = t.train_one_update(progress)
                row["wall_time"] = _now()
                saves.append_metrics(self.folder / saves.METRICS_FILE, row)
                if on_update is not None:
                    called = time.monotonic()
                    on_update(row)
                    held_s += time.monotonic() - called
                if time.monotonic() - last_checkpoint >= checkpoint_minutes * 60:
                    self.save()
                    last_checkpoint = time.monotonic()
            completed = True
        finally:
            if handle_sigint:
                signal.signal(signal.SIGINT, previous)
            try:
                if completed:  # an update cut off half-way is not saved: the last checkpoint stands
                    self.save()
            finally:
                self.trainer.close()
        return row

    def _on_sigint(self, signum, frame) -> None:
        if self.stop_requested:
            raise KeyboardInterrupt  # a second Ctrl-C: give up on the update in progress
        self.stop_requested = True


def _rewrite_metrics(path: Path, rows: list[dict]) -> None:
    import json
    import os
    import tempfile

    if not path.exists():
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True) + "\n")
    os.replace(tmp, path)


def load_policy(path: Path) -> tuple[ActorCritic, ObservationConfig, dict]:
    """The network of an agent file, built with the architecture and observation it was saved with.

    Every setting is checked (known names, right types, sizes that fit the weights in the file)
    before anything is built, so a damaged or crafted file ends in a SaveError, not a crash.
    """
    params, meta = saves.load_agent(path)
    network = _settings(path, NetworkConfig, meta["network"], "network")
    observation = _settings(path, ObservationConfig, meta["observation"], "observation")
    channels, height, width = observation.shape
    if channels * height * width > MAX_OBSERVATION_VALUES:
        raise saves.SaveError(f"{path} asks for observations too large to play ({channels} x {height} x {width})")
    expected = _parameter_count(observation.shape, network)
    found = sum(int(value.size) for value in params.values())
    if expected != found:
        raise saves.SaveError(f"{path} holds {found:,} weights but its network settings need {expected:,}")
    policy = ActorCritic(observation.shape, network)
    try:
        policy.set_params(params)
    except ValueError as error:
        raise saves.SaveError(f"{path} holds weights that do not fit its network ({error})") from None
    return policy, observation, meta


def _settings(path: Path, kind: type, values: dict, what: str):
    """``kind(**values)`` after checking every name and type, else a SaveError saying which is wrong."""
    defaults = {f.name: f.default for f in fields(kind)}
    for key, value in values.items():
        if key not in defaults:
            raise saves.SaveError(f"{path} has a {what} setting this version does not know ({key!r})")
        if not _same_kind(value, defaults[key]):
            raise saves.SaveError(f"{path} has an invalid {what} setting ({key} = {value!r})")
    try:
        return kind(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
    except (TypeError, ValueError) as error:
        raise saves.SaveError(f"{path} has invalid {what} settings ({error})") from None


def _same_kind(value: Any, default: Any) -> bool:
    """Whether a JSON value can stand for a setting whose default is ``default``."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, int):
        return isinstance(value, int) and 0 < value <= MAX_SETTING
    if isinstance(default, float):
        return isinstance(value, (int, float)) and 0 <= value <= 1e6
    if isinstance(default, tuple):
        return isinstance(value, list) and 0 < len(value) <= 16 and all(_same_kind(v, 1) for v in value)
    return isinstance(value, type(default))


MAX_SETTING = 4096  # no count or size in a network or observation setting is larger
MAX_OBSERVATION_VALUES = 2**22  # pixels in one stacked observation (4 MiB)


def _parameter_count(obs_shape: tuple[int, int, int], network: NetworkConfig) -> int:
    """How many weights :class:`ActorCritic` has for these settings (computed, nothing allocated)."""
    channels, height, width = obs_shape
    count = 0
    for out, k, s in zip(network.channels, network.kernel_sizes, network.strides):
        count += out * channels * k * k + out
        channels, height, width = out, conv_output_size(height, k, s), conv_output_size(width, k, s)
        if height < 1 or width < 1:
            return -1  # the convolutions leave nothing: no file can fit
    flat = channels * height * width
    return count + flat * network.hidden + network.hidden + (network.hidden + 1) * (NUM_ACTIONS + 1)


def seconds_to_text(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"

