"""What the match screen shows around and over the arena.

- the bar above the arena: each player's name, controller, hearts for lives and score, and the
  match clock (time left, m:ss) in the middle;
- the help line below the arena with the keys;
- the countdown before a match (3, 2, 1, GO), big over the arena;
- the pause overlay and the end-of-match banner ("The winner is Player N" or "Draw");
- the question asked when the player leaves (e.g. whether to keep what an agent learned).
"""

from __future__ import annotations

import math

import numpy as np
import pygame

from game.app.layout import (
    ACCENT,
    ARENA_RECT,
    HELP_RECT,
    HEART,
    HEART_LOST,
    HUD_RECT,
    PANEL_BG,
    PANEL_EDGE,
    PLAYER_COLORS,
    TEXT,
    TEXT_DIM,
    WARNING,
    Color,
    Fonts,
    dim,
    panel,
)
from game.geometry import pentagon
from game.world import World

HELP_TEXT = "P1: W/A/S/D + Space   P2: arrows + Enter   Esc/P pause   R restart   M mute   F11 fullscreen"
STATUS_SEPARATOR = "  ·  "  # between a controller's label and its live status
HEART_SIZE = 20  # px across
HEART_GAP = 6
CLOCK_WARNING_S = 10.0  # the clock turns red for the last seconds
SUPERSAMPLE = 4  # hearts are drawn this much larger and scaled down, for smooth edges
COUNTDOWN_SIZE = 260  # font size of the countdown's numbers
GO_SIZE = 190  # font size of the "GO" after them
GO_ALPHA = 190  # "GO" starts this opaque (of 255) and fades to nothing
GO_COLOR: Color = (130, 230, 150)


def format_clock(seconds: float) -> str:
    """``m:ss`` for a non-negative number of seconds, rounded up (3:00 at the start, 0:00 at the end)."""
    whole = max(0, math.ceil(seconds - 1e-9))
    return f"{whole // 60}:{whole % 60:02d}"


def heart_points(size: float, cx: float, cy: float, steps: int = 48) -> list[tuple[float, float]]:
    """A heart outline about ``size`` across centred at (cx, cy) (the classic sine-cube curve)."""
    t = np.linspace(0.0, 2.0 * np.pi, steps, endpoint=False)
    x = 16.0 * np.sin(t) ** 3
    y = -(13.0 * np.cos(t) - 5.0 * np.cos(2 * t) - 2.0 * np.cos(3 * t) - np.cos(4 * t))
    k = size / 34.0
    return [(cx + float(u) * k, cy + (float(v) + 2.5) * k) for u, v in zip(x, y)]


def heart_surface(size: int, color: Color, filled: bool = True) -> pygame.Surface:
    """A smooth heart icon, ``size`` x ``size`` px, transparent around it."""
    big = size * SUPERSAMPLE
    layer = pygame.Surface((big, big), pygame.SRCALPHA)
    points = heart_points(big * 0.98, big / 2, big / 2)
    pygame.draw.polygon(layer, color, points, 0 if filled else max(1, int(1.6 * SUPERSAMPLE)))
    return pygame.transform.smoothscale(layer, (size, size))


class Hud:
    """Draws the HUD bar, the help line and the overlays of the match screen."""

    def __init__(self, fonts: Fonts) -> None:
        self.fonts = fonts
        self.heart_full = heart_surface(HEART_SIZE, HEART)
        self.heart_lost = heart_surface(HEART_SIZE, HEART_LOST, filled=False)

    # --- the bar ------------------------------------------------------------------------
    def draw_bar(
        self, surface: pygame.Surface, world: World, labels: tuple[str, str], statuses: tuple[str, str] = ("", ""),
        rect: pygame.Rect = HUD_RECT,
    ) -> None:
        """Names, controllers (each with its live status, if any), hearts, scores and the clock.

        ``rect`` is the bar (``HUD_HEIGHT`` high): the players' blocks sit at its two ends, the
        clock in its middle, so a wider arena gets a bar as wide as itself.
        """
        surface.fill(PANEL_BG, rect)
        pygame.draw.line(surface, PANEL_EDGE, (rect.left, rect.bottom - 1), (rect.right, rect.bottom - 1))
        for player in (0, 1):
            self._draw_player(surface, world, player, labels[player], statuses[player], rect)
        left = world.time_left_s
        color = WARNING if left <= CLOCK_WARNING_S and not world.over else TEXT
        self.fonts.blit(surface, format_clock(left), 38, color, center=(rect.centerx, rect.top + 19))
        self.fonts.blit(surface, "time left", 17, TEXT_DIM, center=(rect.centerx, rect.top + 39))

    def _draw_player(self, surface: pygame.Surface, world: World, player: int, label: str, status: str,
                     bar: pygame.Rect) -> None:
        ship = world.ships[player]
        color = PLAYER_COLORS[player]
        mid = bar.centery
        right = player == 1  # player 2's block mirrors player 1's from the right edge
        edge = bar.right - 24 if right else bar.left + 24
        step = -1 if right else 1

        icon = pentagon(edge, mid + 1, -math.pi / 2, 12)
        pygame.draw.polygon(surface, color, icon)
        text_x = edge + step * 22
        anchor = "midright" if right else "midleft"
        name_rect = self.fonts.blit(surface, f"Player {player + 1}", 26, color, **{anchor: (text_x, mid - 8)})
        label_rect = self._draw_label(surface, label, status, right, text_x, mid + 12)

        # hearts, then the score, towards the clock
        x = max(name_rect.right, label_rect.right) + 28 if not right else min(name_rect.left, label_rect.left) - 28
        lives = world.rules.lives
        for k in range(lives):
            heart = self.heart_full if k < ship.lives else self.heart_lost
            rect = heart.get_rect(midleft=(x, mid)) if not right else heart.get_rect(midright=(x, mid))
            surface.blit(heart, rect)
            x += step * (HEART_SIZE + HEART_GAP)
        x += step * 18
        score_anchor = "midright" if right else "midleft"
        self.fonts.blit(surface, f"{ship.score}", 38, TEXT, **{score_anchor: (x, mid + 1)})

    def _draw_label(self, surface: pygame.Surface, label: str, status: str, right: bool, x: int, y: int) -> pygame.Rect:
        """The controller's label, then its status in the accent colour, from ``x`` outwards or inwards."""
        parts = [(label, TEXT_DIM)] + ([(STATUS_SEPARATOR + status, ACCENT)] if status else [])
        surfaces = [self.fonts.text(text, 18, color) for text, color in parts]
        width = sum(s.get_width() for s in surfaces)
        left = x - width if right else x
        rect = pygame.Rect(left, y - surfaces[0].get_height() // 2, width, surfaces[0].get_height())
        for piece in surfaces:
            surface.blit(piece, piece.get_rect(midleft=(left, y)))
            left += piece.get_width()
        return rect

    # --- the help line -------------------------------------------------------------------
    def draw_help(self, surface: pygame.Surface, sound_status: str = "") -> None:
        """The keys, and ``sound_status`` (e.g. "muted") at the right end when there is one."""
        surface.fill(PANEL_BG, HELP_RECT)
        pygame.draw.line(surface, PANEL_EDGE, HELP_RECT.topleft, HELP_RECT.topright)
        self.fonts.blit(surface, HELP_TEXT, 20, TEXT_DIM, center=HELP_RECT.center)
        if sound_status:
            self.fonts.blit(surface, sound_status, 18, WARNING, midright=(HELP_RECT.right - 12, HELP_RECT.centery))

    # --- overlays on the arena -----------------------------------------------------------
    def draw_countdown(self, surface: pygame.Surface, text: str, fade: float = 0.0) -> None:
        """A countdown number (or "GO") big in the middle of the arena. ``fade`` (0 to 1) is how far
        it has gone: it shrinks a little and fades out, so each new number lands with a pulse.
        "GO" is shown while the match already runs, so it is smaller and see-through, and soon gone:
        the first shots fly right through the middle."""
        fade = min(max(fade, 0.0), 1.0)
        go = text == "GO"
        size = GO_SIZE if go else COUNTDOWN_SIZE
        glyphs = self.fonts.text(text, size, GO_COLOR if go else ACCENT)
        shadow = self.fonts.text(text, size, PANEL_BG)
        scale = 1.15 - 0.25 * fade
        scaled_size = (round(glyphs.get_width() * scale), round(glyphs.get_height() * scale))
        alpha = round(GO_ALPHA * (1.0 - fade)) if go else round(255 * (1.0 - 0.75 * fade**2))
        cx, cy = ARENA_RECT.center
        for layer, offset in ((shadow, 6), (glyphs, 0)):
            scaled = pygame.transform.smoothscale(layer, scaled_size)
            scaled.set_alpha(alpha)
            surface.blit(scaled, scaled.get_rect(center=(cx + offset, cy + offset)))

    def draw_pause(self, surface: pygame.Surface, esc_does: str = "menu") -> None:
        dim(surface, ARENA_RECT, 110)
        cx, cy = ARENA_RECT.center
        panel(surface, pygame.Rect(0, 0, 520, 170).move(cx - 260, cy - 85), ACCENT)
        self.fonts.blit(surface, "PAUSED", 84, ACCENT, center=(cx, cy - 26))
        hint = f"P: resume     R: restart     Esc: {esc_does}"
        self.fonts.blit(surface, hint, 30, TEXT, center=(cx, cy + 40))

    def draw_banner(self, surface: pygame.Surface, world: World, esc_does: str = "menu") -> None:
        """The end of the match: who won, the final scores, and what to press next."""
        dim(surface, ARENA_RECT, 90)
        cx, cy = ARENA_RECT.center
        if world.winner is None:
            title, color = "Draw", ACCENT
            detail = "time is up" if world.timed_out else "both ships lost at once"
        else:
            title, color = f"The winner is Player {world.winner + 1}", PLAYER_COLORS[world.winner]
            detail = ""
        panel(surface, pygame.Rect(0, 0, 720, 210).move(cx - 360, cy - 105), color)
        self.fonts.blit(surface, title, 76, color, center=(cx, cy - (64 if detail else 50)))
        if detail:
            self.fonts.blit(surface, detail, 26, TEXT_DIM, center=(cx, cy - 22))
        p1, p2 = PLAYER_COLORS
        row = [("Player 1  ", p1), (f"{world.ships[0].score}", TEXT), ("  :  ", TEXT_DIM)]
        row += [(f"{world.ships[1].score}", TEXT), ("  Player 2", p2)]
        self.fonts.blit_row(surface, row, 32, (cx, cy + (14 if detail else 8)))
        self.fonts.blit(surface, f"R: play again, Esc: {esc_does}", 30, TEXT_DIM, center=(cx, cy + 60))

    def draw_question(self, surface: pygame.Surface, question: str | None, notes: list[str]) -> None:
        """The end-of-session dialog: what was done so far (``notes``), then the ``question`` and
        its keys, or, with no question left, how to go on."""
        dim(surface, ARENA_RECT, 140)
        cx, cy = ARENA_RECT.center
        lines = [(note, 28, TEXT) for note in notes]
        if question:
            lines += [(question, 32, ACCENT), ("Y: yes, keep it     N: no, discard it", 26, TEXT_DIM)]
        else:
            lines += [("press any key to go on", 26, TEXT_DIM)]
        width = max(self.fonts.font(size).size(text)[0] for text, size, _ in lines) + 80
        width = min(max(width, 520), ARENA_RECT.width - 20)
        height = 46 * len(lines) + 50
        panel(surface, pygame.Rect(cx - width // 2, cy - height // 2, width, height), ACCENT)
        top = cy - height // 2 + 48
        for row, (text, size, color) in enumerate(lines):
            self.fonts.blit(surface, text, size, color, center=(cx, top + 46 * row))
