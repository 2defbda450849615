"""Display matches: the learner against one kind of opponent, match after match, tick by tick.

They share nothing with the training batch: the window process builds
:class:`agent.controller.AgentController`\\ s from the latest weights received and plays them
here, one world tick per call, so the screen can show the world, what the agent saw and what
it chose. The networks sample their actions from the probabilities shown, as in training.
"""

from __future__ import annotations

from typing import Any, Callable

from agent.controller import AgentController
from agent.policy import ActorCritic
from game.env import MatchSeries, ObservationConfig, Rules

MATCHES = ("self-play", "vs aimbot", "vs random", "vs league")
FALLBACK_LEAGUE_BOT = "rookie"  # the "vs league" opponent until the league has a snapshot
END_PAUSE_TICKS = 120  # a finished display match stays on screen this long before the next
DISPLAY_SEED_WORD = 9001  # display matches are seeded from the run's seed and this word


class DisplayMatch:
    """The learner (player 1) against one kind of opponent, match after match, tick by tick.

    ``opponent()`` gives (label, controller) for each new match; match ``i`` is match ``i`` of
    the series ``seed`` (:class:`game.match.MatchSeries`). A finished match stays on screen for
    :data:`END_PAUSE_TICKS` ticks, then the next one starts.
    """

    def __init__(self, name: str, learner: ActorCritic, observation: ObservationConfig, rules: Rules, seed: int,
                 opponent: Callable[[], tuple[str, Any]]) -> None:
        self.name = name
        self.agent = AgentController(learner, observation, greedy=False, name="learner")
        self.opponent = opponent
        self.rules = rules
        self.series = MatchSeries(seed)
        self.index = -1
        self.tally = {"wins": 0, "draws": 0, "losses": 0}
        self._next()

    def _next(self) -> None:
        self.index += 1
        match = self.series.match(self.index)
        self.world = match.new_world(self.rules)
        label, controller = self.opponent()
        self.controllers = (self.agent, controller)
        self.players = ("learner", label)
        match.reset(self.controllers)
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

