"""One match seen by both players: the world, their frame stacks, action repeat and rewards.

Every env shape (:mod:`game.env.duel`, :mod:`game.env.single`, :mod:`game.env.batch`) is a
thin layer over :class:`Match`; :func:`match_info` is what their ``infos`` carry.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from game.actions import MIRRORED, NUM_ACTIONS
from game.controllers import Controller
from game.env.rewards import RewardConfig, aim_error, tally
from game.observation import ObservationConfig, ObservationRenderer
from game.rules import DEFAULT_RULES, Rules
from game.seeding import derive_seed, fresh_seed
from game.world import World

AGENTS = ("player_0", "player_1")


def match_info(world: World) -> dict[str, Any]:
    """Score, lives, winner and statistics of a match, as carried in ``infos``."""
    s0, s1 = world.ships
    return {
        "tick": world.tick,
        "winner": world.winner,
        "timed_out": world.timed_out,
        "score": (s0.score, s1.score),
        "lives": (s0.lives, s1.lives),
        "shots": (s0.shots, s1.shots),
        "hits": (s0.hits, s1.hits),
        "asteroids_shot": (s0.asteroids_shot, s1.asteroids_shot),
        "deaths": (s0.deaths, s1.deaths),
    }


def check_action(action: Any) -> int:
    """``action`` as an int, or a ValueError if it is not one of the 18 actions."""
    try:
        value = int(action)
    except (TypeError, ValueError):
        raise ValueError(f"an action is an integer in [0, {NUM_ACTIONS}), got {action!r}") from None
    if value != action or not 0 <= value < NUM_ACTIONS:
        raise ValueError(f"an action is an integer in [0, {NUM_ACTIONS}), got {action!r}")
    return value


class Match:
    """One match seen by both players: the world, their frame stacks, action repeat, rewards.

    ``stack`` is a (2, K, H, W) uint8 array (given, so a batch can own one big buffer) that
    holds both players' current observations. ``controllers[p]``, when set, flies player p
    (asked every tick) instead of the actions given to :meth:`step`; a scripted controller
    reads the world, not pixels, so its player's frames are not drawn (they stay black for
    the match), which saves a third of the drawing in training against bots.
    """

    def __init__(
        self,
        rules: Rules = DEFAULT_RULES,
        observation: ObservationConfig = ObservationConfig(),
        stack: np.ndarray | None = None,
        renderer: ObservationRenderer | None = None,
        rewards: RewardConfig = RewardConfig(),
    ) -> None:
        self.rules = rules
        self.config = observation
        self.rewards = rewards
        self.renderer = renderer or ObservationRenderer(observation)
        self.stack = np.zeros((2, *observation.shape), np.uint8) if stack is None else stack
        self.world = World(rules, seed=0)
        self.controllers: list[Controller | None] = [None, None]
        self.base_seed: int | None = None
        self.match_index = 0

    def reset(self, seed: int | None = None) -> None:
        """Start the next match; a seed restarts the numbering of matches from that seed."""
        if seed is not None:
            self.base_seed, self.match_index = int(seed), 0
        elif self.base_seed is None:
            self.base_seed, self.match_index = fresh_seed(), 0
        else:
            self.match_index += 1
        world_seed = derive_seed(self.base_seed, self.match_index)
        self.world.reset(world_seed)
        for player, controller in enumerate(self.controllers):
            if controller is not None:
                controller.reset(derive_seed(world_seed, player + 1))
        views = self.config.views
        for player in (0, 1):
            if self.controllers[player] is not None:
                self.stack[player] = 0  # nobody looks at a scripted player's frames
                continue
            frame = self.renderer.draw(self.world, player)
            for k in range(self.config.frames):
                self.stack[player, k * views : (k + 1) * views] = frame

    def step(self, action0: int, action1: int) -> tuple[float, float]:
        """Hold the two actions for ``action_repeat`` ticks (or until the match ends); rewards."""
        world = self.world
        before0, before1 = tally(world, 0), tally(world, 1)
        if self.config.mirror_player2:
            action1 = MIRRORED[action1]
        c0, c1 = self.controllers
        for _ in range(self.config.action_repeat):
            if world.over:
                break
            world.step((
                action0 if c0 is None else c0.act(world, 0),
                action1 if c1 is None else c1.act(world, 1),
            ))
        stack = self.stack
        views = self.config.views
        draw = self.renderer.draw
        for player, controller in enumerate(self.controllers):
            if controller is None:  # a scripted player's frames are not drawn
                stack[player, :-views] = stack[player, views:]
                stack[player, -views:] = draw(world, player)
        reward = self.rewards.reward
        return reward(before0, tally(world, 0)), reward(before1, tally(world, 1))

    def potential(self, player: int) -> float:
        """``player``'s shaping potential now (see :meth:`RewardConfig.potential`)."""
        return self.rewards.potential(self.world, player)

    def aim_error(self, player: int) -> float | None:
        """How far ``player``'s gun points from the opponent, radians (None unless both are alive)."""
        return aim_error(self.world, player)

    @property
    def terminated(self) -> bool:
        return self.world.over and not self.world.timed_out

    @property
    def truncated(self) -> bool:
        return self.world.timed_out

    def state_dict(self) -> dict:
        """The match mid-flight, JSON-compatible except ``stack`` (an array)."""
        return {
            "world": self.world.state_dict(),
            "base_seed": self.base_seed,
            "match_index": self.match_index,
            "stack": self.stack.copy(),
            "controllers": [
                c.state_dict() if c is not None and hasattr(c, "state_dict") else None for c in self.controllers
            ],
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict`; the same kinds of controllers must already be in place."""
        self.world.load_state_dict(state["world"])
        self.base_seed, self.match_index = state["base_seed"], state["match_index"]
        self.stack[...] = state["stack"]
        for controller, saved in zip(self.controllers, state["controllers"]):
            if controller is not None and saved is not None:
                controller.load_state_dict(saved)
