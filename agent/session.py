"""A named training run on disk: start or resume, spend a budget, checkpoint, log metrics.

Used by ``python main.py train`` (headless) and ``watch`` (in the background of the window).
Checkpoints go to ``saves/NAME/`` (see :mod:`agent.saves`) every ``checkpoint_minutes`` and
when the run stops for any reason, including Ctrl-C:

- a first Ctrl-C stops the run after the update in progress, which is saved (the processes it
  started ignore Ctrl-C, see :func:`agent.learner.start_ignoring_ctrl_c`);
- a second one gives that update up at once (``KeyboardInterrupt`` goes on to the caller), and
  the last checkpoint stays as it was; a checkpoint being written is never cut short.

A run ends with an evaluation against ``random`` and ``aimbot`` (unless its last update had
one, or the run never evaluates, ``eval_every`` 0), so even a short run reports a score; a
Ctrl-C during it skips it. Weights that are no longer finite are never saved: the run stops
with :class:`agent.trainer.TrainingDiverged` and the last good checkpoint stays.

While it trains, a run holds the lock of its folder (:class:`agent.saves.RunLock`): a second
run of the same agent is refused, and a folder that cannot be written is found out before any
training.

A run started from a saved agent (``--from``) records its parents' training in ``lineage``
(``seconds``, ``steps``, ``parents``, nearest first), so the agent's card can count it all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from agent import saves
from agent.loading import check_reserved, load_policy
from agent.other_eyes import LeagueAgent
from agent.policy import NetworkConfig, widen_params
from agent.trainer import Trainer, TrainConfig, TrainingDiverged
from agent.workers import WorkerPool, make_trainer, restore_trainer
from game.env import BOT_NAMES, ObservationConfig


class TrainingSession:
    """Owns a run (a :class:`Trainer`, or a :class:`WorkerPool` of several) and its folder ``saves/NAME``."""

    def __init__(self, name: str, trainer: Trainer | WorkerPool, folder: Path, created: str, parent: str | None = None,
                 lineage: dict[str, Any] | None = None) -> None:
        self.name = name
        self.trainer = trainer
        self.folder = folder
        self.created = created
        self.parent = parent
        self.lineage = lineage  # the parents' training (see the module's docstring), None without one
        self.stop_requested = False
        self.evaluation_skipped = False  # the last run's final evaluation was cut short by Ctrl-C
        # (update, samples) of the checkpoint on disk, None before the first
        self.checkpoint: tuple[int, int] | None = (trainer.update, trainer.global_step) if trainer.update else None
        self._lock: saves.RunLock | None = None
        self._opened_as = _files_now(folder)  # the agent's files when opened: a second run must not change them
        self._trim_metrics = True  # once locked: drop the metrics rows logged after the checkpoint (all, for a new run)
        self._saving = self._evaluating = False

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
        if saves.is_shipped(folder):
            raise saves.SaveError(f"{name!r} ships with the game, so it cannot be trained over; "
                                  f"start a new agent from it with --name NEW --from {name}")
        if (folder / saves.AGENT_FILE).exists() or (folder / saves.TRAINING_FILE).exists():
            if not overwrite:
                raise saves.SaveError(
                    f"an agent named {name!r} already exists; use --resume to continue it or choose another name"
                )
        agents = _league_agents(config, observation, network, saves_dir)
        return cls(name, make_trainer(config, observation, network, agents), folder, saves.now())

    @classmethod
    def from_agent(cls, name: str, parent: str, config: TrainConfig, saves_dir: Path | None = None,
                   margin: int | None = None) -> TrainingSession:
        """A new run ``name`` that starts from the weights of the saved agent ``parent``.

        The new agent sees and thinks as the parent does (its observation and network settings),
        or, with a larger frame ``margin``, sees the parent's frames with that margin through the
        parent's network widened for it (:func:`agent.policy.widen_params`: it starts out playing
        as the parent). ``config`` sets how it trains from here. Optimizer moments, league,
        ratings and counters start fresh; the metadata names ``parent``. The parent's files are
        only read.
        """
        path = saves.agent_dir(parent, saves_dir) / saves.AGENT_FILE
        if not path.exists():
            raise saves.SaveError(f"there is no agent named {parent!r} to start from")
        policy, seen, meta = load_policy(path)
        observation = seen if margin is None else replace(seen, margin=margin)
        if observation.margin < seen.margin:
            raise saves.SaveError(f"{parent!r} sees frames with a margin of {seen.margin}; "
                                  f"an agent started from it can get a larger margin, not {observation.margin}")
        session = cls.create(name, config, observation, policy.config, saves_dir)
        session.trainer.policy.set_params(widen_params(policy.get_params(), policy.config, seen.shape,
                                                       observation.shape))
        session.parent = parent
        session.lineage = lineage_after(parent, meta)
        return session

    @classmethod
    def resume(cls, name: str, saves_dir: Path | None = None) -> TrainingSession:
        folder = saves.agent_dir(name, saves_dir)
        path = folder / saves.TRAINING_FILE
        if saves.is_shipped(folder):
            raise saves.SaveError(f"{name!r} ships with the game, so it cannot be trained on; "
                                  f"start a new agent from it with --name NEW --from {name}")
        if not path.exists():
            if (folder / saves.AGENT_FILE).exists():
                raise saves.SaveError(f"agent {name!r} has no training state to resume (it was imported or shipped)")
            raise saves.SaveError(f"there is no agent named {name!r} to resume")
        arrays, meta = saves.read_npz(path)
        try:
            trainer = restore_trainer(meta["trainer"], arrays)
        except (KeyError, ValueError, TypeError, IndexError, AttributeError, saves.SaveError) as error:
            # a damaged or hand-made training file: say so, never a traceback
            raise saves.SaveError(f"the training state of {name!r} cannot be resumed ({error})") from None
        session = cls(name, trainer, folder, meta.get("created", saves.now()), meta.get("parent"),
                      meta.get("lineage"))
        return session

    # ------------------------------------------------------------------------------------
    def lock(self) -> None:
        """Take the folder's lock for this run (``run`` does, first thing); nothing if held already.

        SaveError if another run of the agent is training, if the folder cannot be written, or if
        another run saved the agent since this session opened it (it would be written over).
        """
        if self._lock is not None:
            return
        lock = saves.RunLock.acquire(self.folder)
        if _files_now(self.folder) != self._opened_as:
            lock.release()
            raise saves.SaveError(f"another run saved agent {self.name!r} while this one was starting; "
                                  "start it again (with --resume to continue from there)")
        self._lock = lock
        if self._trim_metrics:  # rows logged after the checkpoint belong to updates that are redone now
            rows = [r for r in saves.read_metrics(self.folder / saves.METRICS_FILE)
                    if r.get("update", 0) <= self.trainer.update]
            saves.rewrite_metrics(self.folder / saves.METRICS_FILE, rows)
            self._trim_metrics = False

    def unlock(self) -> None:
        """Let go of the folder's lock (``run`` does when it ends)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # ------------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        t = self.trainer
        last_eval = t.history[-1] if t.history else {}
        lineage = {"lineage": self.lineage} if self.lineage else {}
        return {
            "name": self.name,
            "created": self.created,
            "saved": saves.now(),
            "parent": self.parent,
            **lineage,
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
        """Write the agent file and the training state (each atomically); never non-finite weights.

        A Ctrl-C while it writes waits for the end of it (see :meth:`_on_sigint`).
        """
        self.trainer.check_finite()
        self._saving = True
        try:
            state, arrays = self.trainer.state()
            meta = self.metadata()
            saves.save_agent(self.folder / saves.AGENT_FILE, self.trainer.policy.params(), meta)
            training = {"trainer": state, "created": self.created, "parent": self.parent}
            if self.lineage:
                training["lineage"] = self.lineage
            saves.write_npz(self.folder / saves.TRAINING_FILE, arrays, training, compress=True)
        finally:
            self._saving = False
        self.checkpoint = (self.trainer.update, self.trainer.global_step)
        self._opened_as = _files_now(self.folder)

    def checkpoint_text(self, good: bool = False) -> str:
        """What is on disk, for a run stopped without saving: 'the last checkpoint (update 12, 30,720
        samples) is kept' (``good``: 'the last good checkpoint ...')."""
        if self.checkpoint is None:
            return "nothing was saved (there was no checkpoint yet)"
        update, step = self.checkpoint
        return f"the last {'good ' if good else ''}checkpoint (update {update}, {step:,} samples) is kept"

    # ------------------------------------------------------------------------------------
    def run(
        self,
        steps: int | None = None,
        minutes: float | None = None,
        checkpoint_minutes: float = 5.0,
        on_update: Callable[[dict], None] | None = None,
        handle_sigint: bool = True,
        on_final_evaluation: Callable[[], None] | None = None,
    ) -> dict | None:
        """Train until ``steps`` more samples or ``minutes`` more minutes are spent (or stopped),
        save, evaluate, save again; the last metrics row.

        The learning rate anneals over the whole budget of this call: by samples when
        ``steps`` is given, else by time. Time spent inside ``on_update`` does not count against
        ``minutes`` (``watch`` holds training there while learning is paused).
        ``on_update(row)`` gets every update's metrics row, and the final evaluation's row
        (marked ``"final": True``); ``on_final_evaluation()`` is called as that evaluation starts.
        With ``handle_sigint`` the session answers Ctrl-C as the module's docstring says.
        SaveError if the folder is locked by another run or cannot be written (before training).
        """
        if steps is None and minutes is None:
            raise ValueError("give a budget: steps or minutes")
        self.lock()
        self.evaluation_skipped = False
        try:
            with self._answering_ctrl_c(handle_sigint):
                try:
                    row = self._train(steps, minutes, checkpoint_minutes, on_update)
                    self.save()
                    final = self._final_evaluation(on_final_evaluation)
                    if final is not None:
                        saves.append_metrics(self.folder / saves.METRICS_FILE, final)
                        if on_update is not None:
                            on_update(final)
                        self.save()
                        row = final
                    self.trainer.close()
                except BaseException:
                    if handle_sigint:
                        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the clean-up is not cut short
                    self.trainer.close(abandon=True)  # an update in progress is dropped: the checkpoint stays
                    raise
            return row
        finally:
            self.unlock()

    def _train(self, steps: int | None, minutes: float | None, checkpoint_minutes: float,
               on_update: Callable[[dict], None] | None) -> dict | None:
        """The updates of :meth:`run`, with checkpoints; the last metrics row."""
        t = self.trainer
        start_step, start_s = t.global_step, time.monotonic()
        end_step = start_step + steps if steps is not None else None
        last_checkpoint = time.monotonic()
        held_s = 0.0  # time spent in on_update
        row = None
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
            try:
                row = t.train_one_update(progress)
            except TrainingDiverged as error:
                raise TrainingDiverged(f"{error}; {self.checkpoint_text(good=True)}") from None
            row["wall_time"] = saves.now()
            saves.append_metrics(self.folder / saves.METRICS_FILE, row)
            if on_update is not None:
                called = time.monotonic()
                on_update(row)
                held_s += time.monotonic() - called
            if time.monotonic() - last_checkpoint >= checkpoint_minutes * 60:
                self.save()
                last_checkpoint = time.monotonic()
        return row

    def _final_evaluation(self, on_start: Callable[[], None] | None) -> dict | None:
        """The evaluation that ends a run, as a metrics row; None when not needed or skipped by Ctrl-C."""
        t = self.trainer
        if t.config.eval_every <= 0 or (t.history and t.history[-1].get("step") == t.global_step):
            return None
        if on_start is not None:
            on_start()
        tick = time.perf_counter()
        self._evaluating = True
        try:
            evaluation = t.evaluate()
        except KeyboardInterrupt:
            self.evaluation_skipped = True
            return None
        finally:
            self._evaluating = False
        return {"update": t.update, "step": t.global_step, "elo": t.league.learner_rating,
                "elapsed_s": t.elapsed_s, "eval": evaluation, "eval_s": time.perf_counter() - tick,
                "final": True, "wall_time": saves.now()}

    @contextlib.contextmanager
    def _answering_ctrl_c(self, handle: bool) -> Iterator[None]:
        if not handle:
            yield
            return
        previous = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _on_sigint(self, signum, frame) -> None:
        """Ctrl-C: stop after this update; a second one gives the update up. A checkpoint being
        written is finished first; the final evaluation is skipped by any Ctrl-C."""
        if self._saving:
            self.stop_requested = True
            return
        if self._evaluating or self.stop_requested:
            raise KeyboardInterrupt
        self.stop_requested = True


def lineage_after(parent: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The lineage of a run started from agent ``parent`` (metadata ``meta``): its training and its own lineage."""
    training = meta.get("training") if isinstance(meta.get("training"), dict) else {}
    earlier = meta.get("lineage") if isinstance(meta.get("lineage"), dict) else {}

    def number(where: dict, key: str) -> float:
        value = where.get(key)
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else 0

    parents = [p for p in earlier.get("parents", []) if isinstance(p, str)] if isinstance(
        earlier.get("parents"), list) else []
    return {"seconds": round(number(training, "seconds") + number(earlier, "seconds"), 1),
            "steps": int(number(training, "steps") + number(earlier, "steps")),
            "parents": [parent, *parents]}


def _files_now(folder: Path) -> tuple:
    """(name, size, modification time) of the agent's files that exist: changes when either is written."""
    found = []
    for name in (saves.AGENT_FILE, saves.TRAINING_FILE):
        try:
            info = os.stat(folder / name)
        except OSError:
            continue
        found.append((name, info.st_size, info.st_mtime_ns))
    return tuple(found)


def _league_agents(config: TrainConfig, observation: ObservationConfig, network: NetworkConfig,
                   saves_dir: Path | None) -> dict[str, dict[str, np.ndarray] | LeagueAgent]:
    """Each saved agent named in ``config.league_bots``: its weights when it sees and thinks as
    the learner does (an agent that sees the same frames with a smaller margin is widened to the
    learner's: it plays as before), else a :class:`LeagueAgent` that gets frames of its own
    (:mod:`agent.other_eyes`). Only an agent deciding at another rate cannot play."""
    out: dict[str, dict[str, np.ndarray] | LeagueAgent] = {}
    for name in config.league_agents:
        path = saves.agent_dir(name, saves_dir) / saves.AGENT_FILE
        if not path.exists():
            raise saves.SaveError(f"--league-bots names {name!r}, which is neither a bot "
                                  f"({', '.join(sorted(BOT_NAMES))}) nor a saved agent")
        policy, seen, _ = load_policy(path)
        if (replace(seen, margin=observation.margin) == observation and seen.margin <= observation.margin
                and policy.config == network):
            out[name] = widen_params(policy.get_params(), network, seen.shape, observation.shape)
        elif seen.action_repeat != observation.action_repeat:
            raise saves.SaveError(f"the league agent {name!r} decides every {seen.action_repeat} ticks and the agent "
                                  f"in training every {observation.action_repeat}, so it cannot play in its league")
        else:
            out[name] = LeagueAgent(policy.get_params(), seen, policy.config)
    return out


def seconds_to_text(seconds: float) -> str:
    """A duration as a clock shows it: '4:05', or '1:02:03' from an hour on."""
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else f"{seconds // 60}:{seconds % 60:02d}"

