"""One player's observations of a world, for controllers that fly from pixels inside a game loop."""

from __future__ import annotations

import numpy as np

from game.actions import MIRRORED
from game.observation import ObservationConfig, ObservationRenderer
from game.world import World


class PlayerEyes:
    """One player's observations of a world, made exactly as the environments make them.

    For controllers that fly a ship from pixels inside the game loop (the trained agent): call
    :meth:`decide_now` every tick; when it says so, :meth:`look` gives the (K, H, W) stack to
    decide from, and :meth:`to_world_action` turns the decision back into a world action (it
    undoes the mirroring of player 2's view). Decisions are taken every ``action_repeat``
    ticks, starting at a match's first tick, like :class:`game.env.Match`.
    """

    def __init__(self, observation: ObservationConfig = ObservationConfig(), player: int = 0) -> None:
        self.config = observation
        self.player = player
        self.renderer = ObservationRenderer(observation)
        self.stack = np.zeros(observation.shape, np.uint8)
        self._started_tick: int | None = None

    @property
    def started_tick(self) -> int | None:
        """The tick of the first frame in this match's stack (None before the first look)."""
        return self._started_tick

    def restore(self, stack: np.ndarray, started_tick: int | None) -> None:
        """Continue from a saved :attr:`stack` and :attr:`started_tick` (to resume a match)."""
        self.stack[...] = stack
        self._started_tick = started_tick

    def reset(self) -> None:
        """Forget the frames: the next decision fills the whole stack from one frame."""
        self._started_tick = None

    def decide_now(self, world: World) -> bool:
        if self._started_tick is None or world.tick < self._started_tick:
            return True
        return (world.tick - self._started_tick) % self.config.action_repeat == 0

    def look(self, world: World) -> np.ndarray:
        """Draw the current frame and return the stack (a view, overwritten by the next look)."""
        frame = self.renderer.draw(world, self.player)
        views = self.config.views
        if self._started_tick is None or world.tick < self._started_tick:
            self._started_tick = world.tick
            for k in range(self.config.frames):
                self.stack[k * views : (k + 1) * views] = frame
        else:
            self.stack[:-views] = self.stack[views:]
            self.stack[-views:] = frame
        return self.stack

    def to_world_action(self, action: int) -> int:
        return MIRRORED[action] if self.config.mirror_player2 and self.player == 1 else action
