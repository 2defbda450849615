"""The backend of ``python main.py watch``: learning in a second process, display matches in this one.

The window must draw 60 frames a second while the network learns, so learning runs in a child
process (``multiprocessing``, "spawn" context) that runs a headless
:class:`agent.session.TrainingSession`. After every update the child sends one message: the
metrics row, the league table, who the learner is playing in the training batch and the new
weights (``policy.get_params()``, plus the weights of league snapshots it has not sent yet).
Between updates it obeys commands: save now, pause / resume learning, stop (it saves first).
When the budget is spent it saves, says so and exits.

In the window process, :class:`WatchBackend` polls that queue without ever blocking
(``get_nowait``) and plays *display matches* with :class:`agent.controller.AgentController`\\ s
built from the latest weights received: they share nothing with the training batch. It hands
the screen (:mod:`game.app.watch`, which it satisfies structurally) real state only: the world
of the shown match, the frame stack the shown agent decided from, the activations of its first
convolution layer on that stack, its action probabilities and value, and the metric series of
the rows received. No pygame here: the screen draws.

Display matches, in Tab order: the learner (always player 1, on the left) against itself,
against the aimbot, against the random bot, and against the newest snapshot in the league
(the rookie bot until there is one). Only the shown match advances; the others wait. The
networks sample their actions from the probabilities shown, as they do in training.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import queue
import signal
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from agent import saves
from agent.controller import AgentController
from agent.policy import ActorCritic, NetworkConfig
from agent.session import TrainingSession
from agent.trainer import EVAL_OPPONENTS, TrainConfig
from game.bots import BOTS
from game.env import ObservationConfig, Rules, World, derive_seed

MATCHES = ("self-play", "vs aimbot", "vs random", "vs league")
FALLBACK_LEAGUE_BOT = "rookie"  # the "vs league" opponent until the league has a snapshot
END_PAUSE_TICKS = 120  # a finished display match stays on screen this long before the next
DISPLAY_SEED_WORD = 9001  # display matches are seeded from the run's seed and this word
START_TIMEOUT_S = 120.0  # the training process must have its session ready by then
SERIES_KEYS = ("eval_random", "eval_aimbot", "elo", "episode_s", "entropy", "steps_per_s")
MAX_POINTS = 4000  # each series keeps at most this many points (older ones thinned out)
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

    def __post_init__(self) -> None:
        if (self.steps is None) == (self.minutes is None):
            raise ValueError("give exactly one budget: steps or minutes")


# ------------------------------------------------------------------------------------------
# the training process (child side)
def open_session(run: WatchRun) -> TrainingSession:
    """Resume or create the session ``run`` names (SaveError with a sentence when it cannot)."""
    folder = Path(run.saves_dir) if run.saves_dir else None
    if run.resume:
        return TrainingSession.resume(run.name, folder)
    if run.parent is not None:
        return TrainingSession.from_agent(run.name, run.parent, run.config or TrainConfig(), folder)
    return TrainingSession.create(run.name, run.config or TrainConfig(), run.observation or ObservationConfig(),
                                  run.network or NetworkConfig(), saves_dir=folder)


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
                    on_update=learner.on_update, handle_sigint=False)
    except saves.SaveError as error:
        updates.put(("error", str(error)))
        return
    except Exception as error:  # noqa: BLE001 - reported to the window, which ends with it
        traceback.print_exc()
        updates.put(("error", f"training stopped by an error: {error!r}"))
        return
    t = session.trainer
    updates.put(("done", {"step": t.global_step, "update": t.update, "elo": t.league.learner_rating,
                          "folder": str(session.folder)}))


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
        self.process.start()
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


# ------------------------------------------------------------------------------------------
class DisplayMatch:
    """The learner (player 1) against one kind of opponent, match after match, tick by tick.

    ``opponent()`` gives (label, controller) for each new match. A finished match stays on
    screen for :data:`END_PAUSE_TICKS` ticks, then the next one starts.
    """

    def __init__(self, name: str, learner: ActorCritic, observation: ObservationConfig, rules: Rules, seed: int,
                 opponent: Callable[[], tuple[str, Any]]) -> None:
        self.name = name
        self.agent = AgentController(learner, observation, greedy=False, name="learner")
        self.opponent = opponent
        self.rules = rules
        self.seed = seed
        self.index = -1
        self.tally = {"wins": 0, "draws": 0, "losses": 0}
        self._next()

    def _next(self) -> None:
        self.index += 1
        world_seed = derive_seed(self.seed, self.index)
        self.world = World(self.rules, seed=world_seed)
        label, controller = self.opponent()
        self.controllers = (self.agent, controller)
        self.players = ("learner", label)
        for player, c in enumerate(self.controllers):
            c.reset(derive_seed(world_seed, player + 1))
        self.ended_ticks = 0

    def step(self) -> list:
        """One tick (or one tick of the end pause); returns the world's events."""
        world = self.world
        if world.over:
            self.ended_ticks += 1
            if self.ended_ticks >= END_PAUSE_TICKS:
                self._next()
            return []
        events = world.step((self.agent.act(world, 0), self.controllers[1].act(world, 1)))
        if world.over:
            key = "draws" if world.winner is None else ("wins" if world.winner == 0 else "losses")
            self.tally[key] += 1
        return events


def chart_values(row: dict, tick_rate: float) -> dict[str, float]:
    """The values of a metrics row the charts show, by :data:`SERIES_KEYS` name (plus ``step``)."""
    out = {"step": float(row["step"])}
    for key in ("elo", "entropy", "steps_per_s"):
        if row.get(key) is not None:
            out[key] = float(row[key])
    if row.get("episode_ticks") is not None:
        out["episode_s"] = float(row["episode_ticks"]) / tick_rate
    for opponent in EVAL_OPPONENTS:
        if opponent in row.get("eval", {}):
            out[f"eval_{opponent}"] = float(row["eval"][opponent])
    return out


class MetricSeries:
    """(step, value) points of each chart, from the metrics rows received."""

    def __init__(self) -> None:
        self.points: dict[str, list[tuple[float, float]]] = {k: [] for k in SERIES_KEYS}

    def add(self, row: dict[str, float]) -> None:
        for key, points in self.points.items():
            if key in row:
                points.append((row["step"], row[key]))
                if len(points) > MAX_POINTS:
                    del points[1::2]  # thin out evenly, keeping the first and the newest points


class WatchBackend:
    """Training in a child process plus the display matches: what the watch screen shows.

    Call :meth:`start` (blocks until the session is open; SaveError if it cannot be), then
    :meth:`poll` once per frame and :meth:`step` once per tick of the shown match.
    """

    match_names = MATCHES

    def __init__(self, run: WatchRun) -> None:
        self.run = run
        self.process = TrainingProcess(run)
        self.shown = 0
        self.learning = True
        self.stopping = False
        self.finished = False
        self.error: str | None = None
        self.note = ""
        self.updates_received = 0
        self.series = MetricSeries()
        self.league: list[dict] = []
        self.playing: dict[str, int] = {}
        self.step_count = self.update = 0
        self.elo = 0.0
        self.progress = 0.0
        self.summary: dict | None = None
        self.last_row: dict = {}  # the latest metrics row, as train_one_update made it
        self._snapshots: dict[str, ActorCritic] = {}
        self._maps_key: tuple | None = None
        self._maps: np.ndarray | None = None

    # --- starting and stopping ----------------------------------------------------------
    def start(self) -> None:
        hello = self.process.start()
        self.name, self.folder = hello["name"], hello["folder"]
        self.config = TrainConfig(**hello["config"])
        self.observation = ObservationConfig(**hello["observation"])
        self.network = NetworkConfig.from_dict(hello["network"])
        self.rules = Rules(time_limit_s=self.config.match_time_limit_s)
        # one thread: batches of one, on a machine whose cores belong to training
        self.learner = ActorCritic(self.observation.shape, self.network, threads=1)
        for row in hello["history"]:
            self.series.add(chart_values(row, self.rules.tick_rate))
        self._take_state(hello)
        seed = derive_seed(self.config.seed, DISPLAY_SEED_WORD)
        opponents = (self._self_play, self._bot("aimbot"), self._bot("random"), self._league_opponent)
        self.matches = [DisplayMatch(name, self.learner, self.observation, self.rules, derive_seed(seed, k), make)
                        for k, (name, make) in enumerate(zip(MATCHES, opponents))]

    def _self_play(self) -> tuple[str, AgentController]:
        return "learner", AgentController(self.learner, self.observation, greedy=False, name="learner")

    def _bot(self, name: str) -> Callable[[], tuple[str, Any]]:
        return lambda: (name, BOTS[name]())

    def _league_opponent(self) -> tuple[str, Any]:
        if not self._snapshots:
            return FALLBACK_LEAGUE_BOT + " (no snapshot yet)", BOTS[FALLBACK_LEAGUE_BOT]()
        name = list(self._snapshots)[-1]  # they arrive in the order they were taken
        return name, AgentController(self._snapshots[name], self.observation, greedy=False, name=name)

    @property
    def evaluations(self) -> bool:
        """Whether the run evaluates against the bots at all (``eval_every`` > 0)."""
        return self.config.eval_every > 0

    def save(self) -> None:
        """Ask for a checkpoint now (written when the update in progress ends)."""
        if not self.stopping:
            self.process.send("save")
            self.note = "checkpoint asked for; written when this update ends"

    def set_learning(self, on: bool) -> None:
        """Pause or resume learning (takes effect when the update in progress ends)."""
        if not self.stopping and on != self.learning:
            self.process.send("resume" if on else "pause")
            self.learning = on
            self.note = "learning resumes" if on else "learning pauses after this update"

    def stop(self) -> None:
        """Stop learning: the child finishes its update, saves and exits (see :attr:`finished`)."""
        if not self.stopping and not self.finished:
            self.process.send("stop")
            self.stopping = True
            self.note = "saving and stopping after this update..."

    def close(self) -> None:
        """End the child if it still runs (at once: the last checkpoint stays) and let go of the queues."""
        if self.process.alive and not self.finished:
            self.process.terminate()
        self.process.close()

    # --- messages from the training process ---------------------------------------------
    def poll(self) -> None:
        """Take in whatever the training process has sent; never waits."""
        alive = self.process.alive  # asked first: a child that has exited has sent everything
        for kind, payload in self.process.receive():
            if kind == "update":
                self.last_row = payload["row"]
                self.series.add(chart_values(self.last_row, self.rules.tick_rate))
                self._take_state(payload)
                self.updates_received += 1
            elif kind == "saved":
                self.note = f"checkpoint saved at {payload['step']:,} samples (update {payload['update']})"
            elif kind == "learning":
                self.note = "learning" if payload else "learning paused"
            elif kind == "stopping":
                self.note = "saving and stopping after this update..."
            elif kind == "done":
                self.summary, self.finished = payload, True
                self.note = f"saved at {payload['step']:,} samples"
            elif kind == "error":
                self.error, self.finished = payload, True
        if not self.finished and not alive:
            self.error, self.finished = "the training process ended unexpectedly", True

    def _take_state(self, state: dict) -> None:
        self.step_count, self.update, self.elo = state["step"], state["update"], state["elo"]
        self.league, self.playing, self.progress = state["league"], state["playing"], state["progress"]
        self.learner.set_params(state["weights"])  # the shown matches play with these from now on
        for name, params in state["snapshots"].items():
            net = copy.deepcopy(self.learner)  # a fresh ActorCritic would spend ~0.3 s initialising weights
            net.set_params(params)
            self._snapshots[name] = net
        members = {m["name"] for m in self.league}
        for name in [n for n in self._snapshots if n not in members]:
            del self._snapshots[name]  # left the league (a match playing it keeps its own reference)

    # --- the shown match --------------------------------------------------------------------
    @property
    def match(self) -> DisplayMatch:
        return self.matches[self.shown]

    def select(self, index: int) -> None:
        self.shown = index % len(self.matches)

    def step(self) -> list:
        """One tick of the shown match; its events (for the screen's effects)."""
        return self.match.step()

    @property
    def world(self) -> World:
        return self.match.world

    @property
    def match_key(self) -> tuple[int, int]:
        """(shown match, match number): changes whenever a different world is shown."""
        return self.shown, self.match.index

    @property
    def players(self) -> tuple[str, str]:
        return self.match.players

    @property
    def tally(self) -> dict[str, int]:
        """The learner's wins, draws and losses in the shown display match so far."""
        return self.match.tally

    # --- the shown agent (the learner, player 1 of the shown match) ------------------------
    @property
    def decisions(self) -> int:
        return self.match.agent.decisions

    @property
    def views(self) -> int:
        return self.observation.views

    @property
    def observation_stack(self) -> np.ndarray | None:
        """The (K, H, W) uint8 frames the shown agent took its latest decision from."""
        return self.match.agent.last_observation

    @property
    def probabilities(self) -> np.ndarray | None:
        return self.match.agent.last_probs

    @property
    def value(self) -> float:
        return self.match.agent.last_value

    @property
    def action(self) -> int | None:
        return self.match.agent.last_action

    @property
    def feature_maps(self) -> np.ndarray | None:
        """(F, h, w) activations of the first conv layer (ReLU included) on :attr:`observation_stack`.

        Computed once per decision: the layer is given the uint8 stack exactly as
        :meth:`ActorCritic.forward` gives it (the layer itself scales the frames).
        """
        stack = self.observation_stack
        if stack is None:
            return None
        key = (self.shown, self.match.index, self.decisions)  # asked right after the decision: same weights
        if key != self._maps_key:
            self._maps = np.array(self.learner.body.layers[0].forward(stack[None], train=False)[0])
            self._maps_key = key
        return self._maps
