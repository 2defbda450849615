"""Where things go in the window, its colours, and the fonts: shared by every screen of the app.

The window has one logical size (``WINDOW_SIZE``): a HUD bar on top, the 1200 x 600 arena, and a
help line at the bottom. It is created with ``pygame.SCALED``, so resizing the window or going
fullscreen scales this whole picture without changing any coordinates here.
"""

from __future__ import annotations

import math

import pygame

from game.geometry import pentagon
from game.render import BACKGROUND, PLAYER_COLORS
from game.rules import DEFAULT_RULES

Color = tuple[int, int, int]

HUD_HEIGHT = 48
HELP_HEIGHT = 24
ARENA_RECT = pygame.Rect(0, HUD_HEIGHT, DEFAULT_RULES.arena_width_px, DEFAULT_RULES.arena_height_px)
HUD_RECT = pygame.Rect(0, 0, ARENA_RECT.width, HUD_HEIGHT)
HELP_RECT = pygame.Rect(0, ARENA_RECT.bottom, ARENA_RECT.width, HELP_HEIGHT)
WINDOW_SIZE = (ARENA_RECT.width, HELP_RECT.bottom)  # 1200 x 672

TITLE = "Asteroids Duel"
FPS = 60  # frames per second; exactly one world tick per frame

ARENA_BG: Color = BACKGROUND
PANEL_BG: Color = (24, 38, 40)  # HUD bar and help line: a darker slate
PANEL_EDGE: Color = (70, 104, 104)
TEXT: Color = (226, 232, 228)
TEXT_DIM: Color = (140, 160, 158)
ACCENT: Color = (255, 214, 102)  # highlighted menu item, banners
WARNING: Color = (255, 110, 100)  # errors, the last seconds of the clock
HEART: Color = (232, 64, 80)
HEART_LOST: Color = (70, 88, 90)


class Fonts:
    """pygame's default font in the sizes the app uses, and a small cache of rendered text."""

    CACHE_LIMIT = 256

    def __init__(self) -> None:
        self._fonts: dict[int, pygame.font.Font] = {}
        self._texts: dict[tuple[str, int, Color], pygame.Surface] = {}

    def font(self, size: int) -> pygame.font.Font:
        if size not in self._fonts:
            self._fonts[size] = pygame.font.Font(None, size)
        return self._fonts[size]

    def text(self, text: str, size: int, color: Color) -> pygame.Surface:
        """``text`` rendered anti-aliased (cached: the HUD redraws the same strings every frame)."""
        key = (text, size, color)
        surface = self._texts.get(key)
        if surface is None:
            if len(self._texts) >= self.CACHE_LIMIT:
                self._texts.clear()
            surface = self._texts[key] = self.font(size).render(text, True, color)
        return surface

    def blit_row(
        self, target: pygame.Surface, parts: list[tuple[str, Color]], size: int, center: tuple[int, int]
    ) -> pygame.Rect:
        """Several pieces of text in their own colours, side by side, centred on ``center``."""
        surfaces = [self.text(text, size, color) for text, color in parts]
        width = sum(s.get_width() for s in surfaces)
        height = max(s.get_height() for s in surfaces)
        x = center[0] - width // 2
        top = center[1] - height // 2
        for s in surfaces:
            target.blit(s, (x, top + (height - s.get_height()) // 2))
            x += s.get_width()
        return pygame.Rect(center[0] - width // 2, top, width, height)

    def blit(self, target: pygame.Surface, text: str, size: int, color: Color, **anchor: object) -> pygame.Rect:
        """Draw ``text`` placed by a Rect keyword, e.g. ``center=(x, y)`` or ``midleft=(x, y)``."""
        surface = self.text(text, size, color)
        rect = surface.get_rect(**anchor)
        target.blit(surface, rect)
        return rect


def make_icon(size: int = 64) -> pygame.Surface:
    """The window icon: player 1's pentagon ship on the arena's slate gray."""
    icon = pygame.Surface((size, size), pygame.SRCALPHA)
    pygame.draw.circle(icon, ARENA_BG, (size / 2, size / 2), size / 2)
    points = pentagon(size / 2, size / 2 + size * 0.03, -math.pi / 2, size * 0.36)
    pygame.draw.polygon(icon, PLAYER_COLORS[0], points)
    pygame.draw.line(icon, ARENA_BG, (size / 2, size / 2), points[0], max(1, size // 16))
    return icon


def panel(surface: pygame.Surface, rect: pygame.Rect, border: Color = PANEL_EDGE, alpha: int = 225) -> None:
    """A translucent dark box with a rounded coloured border, for text over the arena."""
    box = pygame.Surface(rect.size, pygame.SRCALPHA)
    pygame.draw.rect(box, (*PANEL_BG, alpha), box.get_rect(), border_radius=10)
    pygame.draw.rect(box, border, box.get_rect(), 2, border_radius=10)
    surface.blit(box, rect.topleft)


def dim(surface: pygame.Surface, rect: pygame.Rect, alpha: int = 150) -> None:
    """Darken ``rect`` of ``surface`` (behind overlays such as the pause screen)."""
    shade = pygame.Surface(rect.size, pygame.SRCALPHA)
    shade.fill((8, 16, 18, alpha))
    surface.blit(shade, rect.topleft)
