"""The human view of an env (``render_mode`` "human": a window, "rgb_array": an array).

pygame and the renderer are imported only when something is drawn, so importing the envs never
loads pygame.
"""

from __future__ import annotations

import numpy as np

from game.world import World

RENDER_MODES = ("human", "rgb_array")


class Rendering:
    """Draws a world for ``render_mode`` "human" (a window, at ``fps``) or "rgb_array" (an array)."""

    def __init__(self, mode: str | None, fps: int) -> None:
        if mode is not None and mode not in RENDER_MODES:
            raise ValueError(f"render_mode must be None, 'human' or 'rgb_array', got {mode!r}")
        self.mode = mode
        self.fps = fps
        self._window = None
        self._clock = None
        self._renderer = None

    def render(self, world: World) -> np.ndarray | None:
        if self.mode is None:
            return None
        import pygame

        from game.render import WorldRenderer

        if self._renderer is None:
            self._renderer = WorldRenderer()
        size = (world.rules.arena_width_px, world.rules.arena_height_px)
        if self.mode == "rgb_array":
            surface = pygame.Surface(size)
            self._renderer.draw(surface, world)
            return np.transpose(pygame.surfarray.array3d(surface), (1, 0, 2)).copy()
        if self._window is None:
            pygame.display.init()
            self._window = pygame.display.set_mode(size)
            pygame.display.set_caption("Asteroids Duel")
            self._clock = pygame.time.Clock()
        pygame.event.pump()
        self._renderer.draw(self._window, world)
        pygame.display.flip()
        self._clock.tick(self.fps)
        return None

    def close(self) -> None:
        if self._window is not None:
            import pygame

            pygame.display.quit()
            self._window = None
