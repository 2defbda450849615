"""What the watch screen shows: training in a child process plus the display matches in this one.

:class:`WatchBackend` polls the training process's messages without ever blocking and plays
the display matches with the latest weights received. It hands the screen
(:mod:`game.app.watch`, which it satisfies structurally) real state only: the world of the shown
match, the frame stack the shown agent decided from, the activations of its first convolution
layer on that stack, its action probabilities and value, and the metric series of the rows
received. No pygame here: the screen draws.

Display matches, in Tab order: the learner (always player 1, on the left) against itself,
against the aimbot, against the random bot, and against the newest snapshot in the league
(the rookie bot until there is one). Only the shown match advances; the others wait.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import numpy as np

from agent.controller import AgentController
from agent.policy import ActorCritic, NetworkConfig
from agent.trainer import TrainConfig
from agent.watch.display import DISPLAY_SEED_WORD, FALLBACK_LEAGUE_BOT, MATCHES, DisplayMatch
from agent.watch.metrics import MetricSeries, chart_values
from agent.watch.protocol import TrainingProcess, WatchRun
from game.env import ObservationConfig, Rules, World, derive_seed, make_bot


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
        self.evaluating = False  # the run has saved and makes its final evaluation
        self.stop_asked = False  # see ask_stop
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
        return lambda: (name, make_bot(name))

    def _league_opponent(self) -> tuple[str, Any]:
        if not self._snapshots:
            return FALLBACK_LEAGUE_BOT + " (no snapshot yet)", make_bot(FALLBACK_LEAGUE_BOT)
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

    def ask_stop(self) -> None:
        """:meth:`stop` at the next :meth:`poll`: safe from a signal handler (it only sets a flag),
        and before the child has started (Ctrl-C while the window opens)."""
        self.stop_asked = True

    def close(self) -> None:
        """End the child if it still runs (at once: the last checkpoint stays) and let go of the queues."""
        if self.process.alive and not self.finished:
            self.process.terminate()
        self.process.close()

    # --- messages from the training process ---------------------------------------------
    def poll(self) -> None:
        """Take in whatever the training process has sent; never waits."""
        if self.stop_asked:
            self.stop()
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
            elif kind == "evaluating":
                self.evaluating = True
                self.note = "saved; a last evaluation against random and aimbot..."
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
