"""One player against a controller, in the Gymnasium shape."""

from __future__ import annotations

from typing import Callable

import numpy as np

from game.actions import NUM_ACTIONS
from game.controllers import Controller
from game.env.match import Match, check_action, match_info
from game.env.opponents import as_opponent
from game.env.spaces import Box, Discrete
from game.env.window import RENDER_MODES, Rendering
from game.observation import ObservationConfig
from game.rules import DEFAULT_RULES, Rules
from game.world import World


class SingleAgentEnv:
    """One player against a controller, in the Gymnasium shape.

    ``reset(seed=None, options=None) -> (obs, info)``; ``step(action) -> (obs, reward,
    terminated, truncated, info)``. The observation is the agent's (K, H, W) uint8 frame stack;
    the action an integer 0..17; rewards as in :mod:`game.env`, for the agent's player.

    Arguments (all keyword, all optional): ``opponent`` (a bot name, a controller with
    ``reset``/``act``, or a function ``f(world, player) -> action``; default ``"aimbot"``),
    ``player`` (0: the agent flies the left ship, 1: the right one, seeing the mirrored view),
    ``rules``, ``observation``, ``render_mode`` (None, "human" or "rgb_array").
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 30}

    def __init__(
        self,
        *,
        opponent: Controller | Callable | str = "aimbot",
        player: int = 0,
        rules: Rules = DEFAULT_RULES,
        observation: ObservationConfig = ObservationConfig(),
        render_mode: str | None = None,
    ) -> None:
        if player not in (0, 1):
            raise ValueError(f"player must be 0 or 1, got {player!r}")
        self.player = player
        self.match = Match(rules, observation)
        self.match.controllers[1 - player] = as_opponent(opponent)
        self.render_mode = render_mode
        self.metadata = dict(self.metadata, render_fps=rules.tick_rate // observation.action_repeat)
        self._rendering = Rendering(render_mode, self.metadata["render_fps"])
        self.observation_space = Box(0, 255, observation.shape, np.uint8)
        self.action_space = Discrete(NUM_ACTIONS)
        self._needs_reset = True

    @property
    def world(self) -> World:
        return self.match.world

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        self.match.reset(seed)
        self._needs_reset = False
        if self.render_mode == "human":
            self.render()
        return self.match.stack[self.player].copy(), match_info(self.world)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        if self._needs_reset:
            raise RuntimeError("call reset() before step(), and again after a match ends")
        action = check_action(action)
        rewards = self.match.step(action, 0) if self.player == 0 else self.match.step(0, action)
        terminated, truncated = self.match.terminated, self.match.truncated
        self._needs_reset = terminated or truncated
        if self.render_mode == "human":
            self.render()
        return (self.match.stack[self.player].copy(), rewards[self.player], terminated, truncated,
                match_info(self.world))

    def render(self) -> np.ndarray | None:
        return self._rendering.render(self.world)

    def close(self) -> None:
        self._rendering.close()
