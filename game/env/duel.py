"""Both players of one match, in the PettingZoo parallel shape."""

from __future__ import annotations

import numpy as np

from game.actions import NUM_ACTIONS
from game.env.match import AGENTS, Match, check_action, match_info
from game.env.spaces import Box, Discrete
from game.env.window import RENDER_MODES, Rendering
from game.observation import ObservationConfig
from game.rules import DEFAULT_RULES, Rules
from game.world import World


class DuelEnv:
    """Two players, one match, in the PettingZoo parallel shape.

    ``possible_agents`` are ``"player_0"`` (left) and ``"player_1"`` (right). Each step takes a
    dict of actions (integers 0..17, see :mod:`game.actions`; player 1's left and right are
    mirrored to match its mirrored view) and returns ``(observations, rewards, terminations,
    truncations, infos)``, dicts keyed by agent. After the match ends ``agents`` is empty and
    ``reset`` starts the next one. See :mod:`game.env` for rewards and seeding.

    Arguments (all keyword, all optional): ``rules`` (a :class:`game.rules.Rules`),
    ``observation`` (an :class:`game.observation.ObservationConfig`), ``render_mode``
    (None, "human" or "rgb_array").
    """

    metadata = {"name": "asteroids_duel_v0", "render_modes": list(RENDER_MODES), "render_fps": 30,
                "is_parallelizable": True}
    possible_agents = list(AGENTS)

    def __init__(
        self,
        *,
        rules: Rules = DEFAULT_RULES,
        observation: ObservationConfig = ObservationConfig(),
        render_mode: str | None = None,
    ) -> None:
        self.match = Match(rules, observation)
        self.render_mode = render_mode
        self.metadata = dict(self.metadata, render_fps=rules.tick_rate // observation.action_repeat)
        self._rendering = Rendering(render_mode, self.metadata["render_fps"])
        self._observation_space = Box(0, 255, observation.shape, np.uint8)
        self._action_space = Discrete(NUM_ACTIONS)
        self.agents: list[str] = []

    @property
    def world(self) -> World:
        """The current match's world (scripted controllers read it)."""
        return self.match.world

    def observation_space(self, agent: str) -> Box:
        return self._observation_space

    def action_space(self, agent: str) -> Discrete:
        return self._action_space

    def _observations(self) -> dict[str, np.ndarray]:
        return {agent: self.match.stack[p].copy() for p, agent in enumerate(AGENTS)}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        self.match.reset(seed)
        self.agents = list(AGENTS)
        info = match_info(self.world)
        return self._observations(), {agent: info for agent in AGENTS}

    def step(self, actions: dict[str, int]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents:
            raise RuntimeError("the match is over: call reset() to start the next one")
        missing = [agent for agent in AGENTS if agent not in actions]
        if missing:
            raise ValueError(f"step needs an action for every agent; missing {missing}")
        r0, r1 = self.match.step(check_action(actions[AGENTS[0]]), check_action(actions[AGENTS[1]]))
        terminated, truncated = self.match.terminated, self.match.truncated
        info = match_info(self.world)
        observations = self._observations()
        if terminated or truncated:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return (
            observations,
            {AGENTS[0]: r0, AGENTS[1]: r1},
            {agent: terminated for agent in AGENTS},
            {agent: truncated for agent in AGENTS},
            {agent: info for agent in AGENTS},
        )

    def render(self) -> np.ndarray | None:
        return self._rendering.render(self.world)

    def state(self) -> np.ndarray:
        """A global view: both players' current frames side by side (PettingZoo's ``state``)."""
        return np.concatenate([self.match.stack[0, -1], self.match.stack[1, -1]], axis=1)  # newest images

    def close(self) -> None:
        self._rendering.close()
