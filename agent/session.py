"""A named training run on disk: start or resume, spend a budget, checkpoint, log metrics.

Used by ``python main.py train`` (headless) and ``watch`` (in the background of the window).
Checkpoints go to ``saves/NAME/`` (see :mod:`agent.saves`) every ``checkpoint_minutes`` and
when the run stops for any reason, including Ctrl-C (the update in progress is finished first;
a second Ctrl-C abandons it, keeping the last checkpoint).
"""

from __future__ import annotations

import signal
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from agent import saves
from agent.loading import check_reserved, load_policy
from agent.policy import NetworkConfig
from agent.trainer import Trainer, TrainConfig
from game.env import BOT_NAMES, ObservationConfig


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
        check_reserved(name)
        if (folder / saves.AGENT_FILE).exists() or (folder / saves.TRAINING_FILE).exists():
            if not overwrite:
                raise saves.SaveError(
                    f"an agent named {name!r} already exists; use --resume to continue it or choose another name"
                )
        agents = _league_agents(config, observation, network, saves_dir)
        return cls(name, Trainer(config, observation, network, agents), folder, saves.now())

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
        session = cls(name, trainer, folder, meta.get("created", saves.now()), meta.get("parent"))
        # metrics logged after the checkpoint belong to updates that will now be redone
        rows = [r for r in saves.read_metrics(folder / saves.METRICS_FILE) if r.get("update", 0) <= trainer.update]
        saves.rewrite_metrics(folder / saves.METRICS_FILE, rows)
        return session

    # ------------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        t = self.trainer
        last_eval = t.history[-1] if t.history else {}
        return {
            "name": self.name,
            "created": self.created,
            "saved": saves.now(),
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
                row["wall_time"] = saves.now()
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


def _league_agents(config: TrainConfig, observation: ObservationConfig, network: NetworkConfig,
                   saves_dir: Path | None) -> dict[str, dict]:
    """The weights of the saved agents named in ``config.league_bots``, each checked to see and
    think as the learner does (its observations are drawn for the learner's eyes)."""
    out = {}
    for name in config.league_agents:
        path = saves.agent_dir(name, saves_dir) / saves.AGENT_FILE
        if not path.exists():
            raise saves.SaveError(f"--league-bots names {name!r}, which is neither a bot "
                                  f"({', '.join(sorted(BOT_NAMES))}) nor a saved agent")
        policy, seen, _ = load_policy(path)
        if seen != observation or policy.config != network:
            raise saves.SaveError(f"the league agent {name!r} sees or thinks differently from the agent in "
                                  "training (other observation or network settings), so it cannot play in its league")
        out[name] = policy.get_params()
    return out


def seconds_to_text(seconds: float) -> str:
    """A duration as a clock shows it: '4:05', or '1:02:03' from an hour on."""
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"

