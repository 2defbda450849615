"""The conversation between the watch window's process and the training process it starts.

Learning runs in a child process (``multiprocessing``, "spawn" context) that runs a headless
:class:`agent.session.TrainingSession`, so the window can draw 60 frames a second meanwhile.

Messages from the child (the ``updates`` queue), each ``(kind, payload)``:

- ``("ready", hello)`` once the session is open: its name, folder, settings, the metrics rows of
  earlier sessions, and the state below; ``("error", sentence)`` instead if it cannot be opened;
- ``("update", state)`` after every update: the metrics row, the league table, who the learner
  plays in the training batch, the new weights (``policy.get_params()``) and the weights of the
  league snapshots not sent yet;
- ``("saved", ...)``, ``("learning", on)``, ``("stopping", None)`` answering the commands,
  ``("evaluating", None)`` as the evaluation that ends the run starts (its row then comes as an
  ``update`` marked ``final``), and ``("done", summary)`` when it has saved and ends (the budget
  spent, or asked to stop).

The child and its learner process ignore Ctrl-C (:func:`agent.learner.start_ignoring_ctrl_c`):
a terminal sends it to them too, and it is the window's to answer (it asks the child to stop).

Commands to the child (the ``commands`` queue), obeyed between updates: ``"save"`` now,
``"pause"`` / ``"resume"`` learning, ``"stop"`` (it saves first).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agent import saves
from agent.learner import start_ignoring_ctrl_c
from agent.policy import NetworkConfig
from agent.session import TrainingSession
from agent.trainer import EVAL_OPPONENTS, TrainConfig
from game.env import ObservationConfig

START_TIMEOUT_S = 120.0  # the training process must have its session ready by then
HISTORY_ROWS = 4000  # metrics rows of earlier sessions sent to the window on resume

@dataclass(frozen=True)
class WatchRun:
    """What the training process is asked to do; it crosses to the child, so it is plain data."""

    name: str
    saves_dir: str | None = None
    resume: bool = False
    config: TrainConfig | None = None  # a new run's settings (None when resuming)
    observation: ObservationConfig | None = None
    network: NetworkConfig | None = None
    steps: int | None = None  # the budget: samples, or ...
    minutes: float | None = None  # ... minutes of learning
    checkpoint_minutes: float = 5.0
    parent: str | None = None  # a new run starting from this saved agent's weights
    margin: int | None = None  # with parent: a larger frame margin (the parent's network widened)

    def __post_init__(self) -> None:
        if (self.steps is None) == (self.minutes is None):
            raise ValueError("give exactly one budget: steps or minutes")


# ------------------------------------------------------------------------------------------
# the training process (child side)
def open_session(run: WatchRun) -> TrainingSession:
    """Resume or create the session ``run`` names, with its folder locked for this run (SaveError
    with a sentence when it cannot be: no such agent, another run training it, a folder that
    cannot be written), so the window hears of it before it shows anything."""
    folder = Path(run.saves_dir) if run.saves_dir else None
    if run.resume:
        session = TrainingSession.resume(run.name, folder)
    elif run.parent is not None:
        session = TrainingSession.from_agent(run.name, run.parent, run.config or TrainConfig(), folder,
                                             run.margin)
    else:
        session = TrainingSession.create(run.name, run.config or TrainConfig(), run.observation or ObservationConfig(),
                                         run.network or NetworkConfig(), saves_dir=folder)
    session.lock()
    return session


class _Learner:
    """The child's side of the conversation: messages after each update, commands between them."""

    def __init__(self, session: TrainingSession, run: WatchRun, updates, commands) -> None:
        self.session, self.run, self.updates, self.commands = session, run, updates, commands
        self.paused = False
        self.sent_snapshots: set[str] = set()
        self.start_step = session.trainer.global_step
        self.started = time.monotonic()
        self.held_s = 0.0  # time paused, which the minutes budget does not count

    def hello(self) -> dict:
        """Everything the window needs before the first update."""
        s, t = self.session, self.session.trainer
        history = saves.read_metrics(s.folder / saves.METRICS_FILE)[-HISTORY_ROWS:]
        return {"name": s.name, "folder": str(s.folder), "config": asdict(t.config),
                "observation": asdict(t.observation), "network": t.network.to_dict(),
                "history": history, **self._state()}

    def _state(self) -> dict:
        t = self.session.trainer
        snapshots = {n: net.get_params() for n, net in t.snapshots.items() if n not in self.sent_snapshots}
        self.sent_snapshots.update(snapshots)
        playing: dict[str, int] = {"learner": t.config.self_play_matches} if t.config.self_play_matches else {}
        for opponent in t.opponent_now.values():
            playing[opponent] = playing.get(opponent, 0) + 1
        return {"step": t.global_step, "update": t.update, "elo": t.league.learner_rating,
                "league": t.league.table(), "playing": playing, "weights": t.policy.get_params(),
                "snapshots": snapshots, "progress": self.progress()}

    def progress(self) -> float:
        """The share of this session's budget spent, 0..1."""
        if self.run.steps is not None:
            return min(1.0, (self.session.trainer.global_step - self.start_step) / self.run.steps)
        spent = time.monotonic() - self.started - self.held_s
        return min(1.0, spent / (self.run.minutes * 60))

    def on_update(self, row: dict) -> None:
        self.updates.put(("update", {"row": row, **self._state()}))
        if row.get("final"):  # the evaluation that ends the run: nothing to hold for
            return
        self.obey(wait=False)
        paused_at = time.monotonic()
        while self.paused and not self.session.stop_requested:
            self.obey(wait=True)
        self.held_s += time.monotonic() - paused_at

    def obey(self, wait: bool) -> None:
        """Carry out the commands waiting (``wait``: wait a little for one); stop if the window is gone."""
        parent = multiprocessing.parent_process()
        if parent is not None and not parent.is_alive():
            self.session.stop_requested = True
            self.updates.cancel_join_thread()  # nobody reads: exit without flushing what is unsent
            return
        while True:
            try:
                command = self.commands.get(timeout=0.25) if wait else self.commands.get_nowait()
            except queue.Empty:
                return
            wait = False
            if command == "save":
                self.session.save()
                t = self.session.trainer
                self.updates.put(("saved", {"step": t.global_step, "update": t.update}))
            elif command in ("pause", "resume"):
                self.paused = command == "pause"
                self.updates.put(("learning", not self.paused))
            elif command == "stop":
                self.session.stop_requested = True
                self.updates.put(("stopping", None))


TRAINING_NICENESS = 5  # how much lower the training processes' CPU priority is than the window's


def _yield_to_the_window() -> None:
    """Lower this process's priority (and so its learner process's, which inherits it).

    Training keeps both cores busy; at a lower priority it still gets every cycle the window
    does not use, but the window gets the CPU the moment a frame is due, which keeps its
    frame times steady (measured with ``bench watch``). Where priorities cannot change, nothing.
    """
    try:
        os.nice(TRAINING_NICENESS)
    except (AttributeError, OSError):
        pass


def training_process(run: WatchRun, updates, commands) -> None:
    """The child's main: open the session, train with messages, save, say goodbye."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the window's to handle: it asks us to stop
    _yield_to_the_window()
    try:
        session = open_session(run)
    except saves.SaveError as error:
        updates.put(("error", str(error)))
        return
    # a polite kill (shutdown, kill PID) finishes the update and saves, like the window's stop
    signal.signal(signal.SIGTERM, lambda signum, frame: setattr(session, "stop_requested", True))
    learner = _Learner(session, run, updates, commands)
    try:
        updates.put(("ready", learner.hello()))
        session.run(steps=run.steps, minutes=run.minutes, checkpoint_minutes=run.checkpoint_minutes,
                    on_update=learner.on_update, handle_sigint=False,
                    on_final_evaluation=lambda: updates.put(("evaluating", None)))
    except saves.SaveError as error:
        updates.put(("error", str(error)))
        return
    except Exception as error:  # noqa: BLE001 - reported to the window, which ends with it
        traceback.print_exc()
        updates.put(("error", f"training stopped by an error: {error!r}"))
        return
    t = session.trainer
    evaluation = t.history[-1] if t.history else {}
    updates.put(("done", {"step": t.global_step, "update": t.update, "elo": t.league.learner_rating,
                          "folder": str(session.folder),
                          "evaluation": {k: evaluation[k] for k in EVAL_OPPONENTS if k in evaluation},
                          "evaluation_skipped": session.evaluation_skipped}))


# ------------------------------------------------------------------------------------------
# the window's side
class TrainingProcess:
    """The child process and its two queues, seen from the window process."""

    def __init__(self, run: WatchRun) -> None:
        context = multiprocessing.get_context("spawn")
        self.updates = context.Queue()
        self.commands = context.Queue()
        self.process = context.Process(target=training_process, args=(run, self.updates, self.commands),
                                       name=f"train-{run.name}")  # not a daemon: it starts a learner process

    def start(self, timeout_s: float = START_TIMEOUT_S) -> dict:
        """Start the child and wait for its session to be open: the hello message (SaveError if it cannot)."""
        start_ignoring_ctrl_c(self.process)
        # Only the child writes updates. Without our copy of the pipe's write end, a child that died
        # in the middle of a message means end-of-file here instead of a read that never returns.
        self.updates._writer.close()
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                kind, payload = self.updates.get(timeout=0.2)
            except queue.Empty:
                if not self.process.is_alive():
                    raise saves.SaveError("the training process ended before it started") from None
                if time.monotonic() > deadline:
                    self.terminate()
                    raise saves.SaveError("the training process did not start in time") from None
                continue
            if kind == "error":
                self.process.join(5)
                raise saves.SaveError(payload)
            return payload

    def receive(self) -> list[tuple[str, Any]]:
        """Every message waiting, oldest first; never blocks."""
        out = []
        while True:
            try:
                out.append(self.updates.get_nowait())
            except queue.Empty:
                return out
            except (EOFError, OSError):  # the child has gone (a cut message, or nothing left)
                return out

    def send(self, command: str) -> None:
        self.commands.put(command)

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def terminate(self) -> None:
        """End the child at once, without waiting for an update to finish (the last checkpoint stays).

        SIGKILL, because the child takes SIGTERM as a polite request to save and stop.
        """
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)

    def close(self) -> None:
        if self.process.pid is not None:  # started
            self.process.join(5)
        for q in (self.updates, self.commands):
            q.cancel_join_thread()
            q.close()

