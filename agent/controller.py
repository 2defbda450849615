"""A trained network as a game controller: it flies a ship from the screen frames only.

``AgentController(policy, observation)`` has the controller interface of
:mod:`game.controllers` (``reset(seed)``, ``act(world, player)``), so it plays in the window,
in ``eval`` and against any bot. It looks at the world through :class:`game.env.PlayerEyes`,
which draws the same downscaled ego-view frames the network was trained on, decides every
``action_repeat`` ticks and holds its decision in between.
"""

from __future__ import annotations

import numpy as np

from agent.policy import ActorCritic
from game.env import ObservationConfig, PlayerEyes, World


class AgentController:
    """Plays with ``policy``, taking its most likely action (``greedy``, the default: measured to
    play clearly better than sampling, see docs/learning-log.md) or sampling one."""

    def __init__(
        self,
        policy: ActorCritic,
        observation: ObservationConfig = ObservationConfig(),
        greedy: bool = True,
        name: str = "agent",
    ) -> None:
        self.policy = policy
        self.observation = observation
        self.greedy = greedy
        self.name = name
        self._eyes: dict[int, PlayerEyes] = {}
        self._actions = {0: 0, 1: 0}
        self.rng = np.random.default_rng(0)
        self.last_probs: np.ndarray | None = None  # the latest decision's action probabilities
        self.last_value: float = 0.0
        self.last_observation: np.ndarray | None = None  # the (K, H, W) stack it decided from
        self.last_action: int | None = None  # the network's choice, in its own (mirrored) view
        self.decisions = 0  # decisions taken so far

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        for eyes in self._eyes.values():
            eyes.reset()
        self._actions = {0: 0, 1: 0}

    def act(self, world: World, player: int) -> int:
        eyes = self._eyes.get(player)
        if eyes is None:
            eyes = self._eyes[player] = PlayerEyes(self.observation, player)
        if eyes.decide_now(world):
            stack = eyes.look(world)
            actions, _, values, probs = self.policy.act(stack[None], self.rng, self.greedy)
            self.last_probs, self.last_value = probs[0], float(values[0])
            self.last_observation, self.last_action = stack, int(actions[0])
            self.decisions += 1
            self._actions[player] = eyes.to_world_action(int(actions[0]))
        return self._actions[player]
