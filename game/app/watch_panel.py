"""The pieces of the watch screen beside the match: what the agent sees and thinks, and how it learns.

Each function draws one piece into a rectangle of a surface from plain data (arrays, numbers,
lists), so the screen (:mod:`game.app.watch`) can redraw a piece only when its data changed
and blit the cached picture every other frame. The charts of the training are drawn by the
project's one chart drawer, :mod:`game.charts`.

- :func:`draw_eyes`: the stacked gray frames the network receives, enlarged;
- :func:`draw_feature_maps`: the first convolution layer's activations, one tile per kernel;
- :func:`draw_probabilities`: 18 bars labelled with the action names, and the value estimate;
- :func:`draw_league`: the league's members, ratings and who is being played right now.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pygame

from game.actions import NAMES
from game.app.layout import ACCENT, PANEL_BG, PANEL_EDGE, TEXT, TEXT_DIM, Color, Fonts

HEADER_SIZE = 20  # font size of section headers
SMALL_SIZE = 16
GAP = 4  # px between tiles
BAR_COLOR: Color = (84, 170, 178)
CHOSEN_COLOR: Color = ACCENT
TILE_EDGE = 255  # palette index of the gaps between feature-map tiles
# feature maps: dark (no response) -> teal -> warm yellow (strongest response in this frame)
HEAT_STOPS = ((0.0, (8, 12, 22)), (0.5, (36, 130, 140)), (1.0, (255, 222, 110)))
BAR_SCALES = (0.1, 0.25, 0.5, 1.0)  # probability a full bar stands for: the smallest that fits


def heat_palette() -> list[tuple[int, int, int]]:
    """256 colours: 0..254 the heat ramp, 255 the panel background (tile gaps)."""
    t = np.linspace(0.0, 1.0, 255)
    xs = [s[0] for s in HEAT_STOPS]
    channels = [np.interp(t, xs, [s[1][c] for s in HEAT_STOPS]) for c in range(3)]
    ramp = [tuple(int(round(ch[i])) for ch in channels) for i in range(255)]
    return ramp + [PANEL_BG]


GRAY_PALETTE = [(i, i, i) for i in range(256)]
HEAT_PALETTE = heat_palette()


def indexed_surface(image: np.ndarray, palette: Sequence[tuple[int, int, int]]) -> pygame.Surface:
    """An 8-bit surface showing a (H, W) uint8 array through ``palette``."""
    surface = pygame.Surface((image.shape[1], image.shape[0]), depth=8)
    surface.set_palette(list(palette))
    pygame.surfarray.blit_array(surface, image.T)
    return surface


def fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """``size`` scaled up or down to fit in ``box``, keeping its aspect."""
    z = min(box[0] / size[0], box[1] / size[1])
    return max(1, int(size[0] * z)), max(1, int(size[1] * z))


def tile(images: np.ndarray, columns: int, fill: int, gap: int = 1) -> np.ndarray:
    """(N, h, w) images in a grid of ``columns``, row by row, ``gap`` px of ``fill`` between them."""
    n, h, w = images.shape
    rows = math.ceil(n / columns)
    canvas = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), fill, np.uint8)
    for k in range(n):
        r, c = divmod(k, columns)
        canvas[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = images[k]
    return canvas


def best_columns(n: int, tile_size: tuple[int, int], box: tuple[int, int]) -> int:
    """The number of columns that shows ``n`` tiles of (w, h) largest in ``box``."""
    w, h = tile_size

    def zoom(cols: int) -> float:
        rows = math.ceil(n / cols)
        return min(box[0] / (cols * (w + GAP)), box[1] / (rows * (h + GAP)))

    return max(range(1, n + 1), key=zoom)


# ------------------------------------------------------------------------------------------
def draw_eyes(surface: pygame.Surface, rect: pygame.Rect, fonts: Fonts, stack: np.ndarray | None, views: int) -> None:
    """The (K, H, W) frames the agent decided from: frames left to right (oldest first), views in rows."""
    surface.fill(PANEL_BG, rect)
    k = 0 if stack is None else stack.shape[0]
    title = "What it sees (its input, enlarged)"
    if stack is not None:
        frames = k // views
        title = f"What it sees: {frames} frame{'s' if frames > 1 else ''}, oldest first" + (
            ", arena + ego view" if views == 2 else "")
    fonts.blit(surface, title, HEADER_SIZE, TEXT, topleft=(rect.x, rect.y))
    if stack is None:
        fonts.blit(surface, "waiting for its first decision", SMALL_SIZE, TEXT_DIM, topleft=(rect.x, rect.y + 24))
        return
    frames = k // views
    # column f holds frame f; row v holds view v (the stack is frames-major, views within a frame)
    ordered = stack.reshape(frames, views, *stack.shape[1:]).transpose(1, 0, 2, 3).reshape(k, *stack.shape[1:])
    canvas = tile(ordered, frames, fill=40, gap=2)
    image = indexed_surface(canvas, GRAY_PALETTE)
    box = (rect.width, rect.height - 24)
    scaled = pygame.transform.scale(image, fit(image.get_size(), box))
    surface.blit(scaled, (rect.x, rect.y + 24))


def draw_feature_maps(surface: pygame.Surface, rect: pygame.Rect, fonts: Fonts, maps: np.ndarray | None) -> None:
    """One tile per kernel of the first conv layer: its response to the frames shown above."""
    surface.fill(PANEL_BG, rect)
    if maps is None:
        fonts.blit(surface, "First conv layer", HEADER_SIZE, TEXT, topleft=rect.topleft)
        return
    n, h, w = maps.shape
    peak = float(maps.max())
    fonts.blit(surface, f"First conv layer: its {n} feature maps (brightest = {peak:.2f})", HEADER_SIZE, TEXT,
               topleft=rect.topleft)
    levels = np.zeros(maps.shape, np.uint8) if peak <= 0 else np.clip(maps / peak * 254.0, 0, 254).astype(np.uint8)
    box = (rect.width, rect.height - 24)
    canvas = tile(levels, best_columns(n, (w, h), box), fill=TILE_EDGE)
    image = indexed_surface(canvas, HEAT_PALETTE)
    scaled = pygame.transform.scale(image, fit(image.get_size(), box))
    surface.blit(scaled, (rect.x, rect.y + 24))


def draw_probabilities(
    surface: pygame.Surface, rect: pygame.Rect, fonts: Fonts, probs: np.ndarray | None, chosen: int | None,
    value: float,
) -> list[pygame.Rect]:
    """18 labelled bars (the chosen action highlighted) and the value estimate; returns the bars' rects."""
    surface.fill(PANEL_BG, rect)
    scale = 1.0 if probs is None else next((s for s in BAR_SCALES if probs.max() <= s), 1.0)
    fonts.blit(surface, f"Action probabilities (full bar = {scale:.0%})", HEADER_SIZE, TEXT, topleft=rect.topleft)
    row_h = (rect.height - 48) // len(NAMES)
    label_w, percent_w = 112, 44
    bar_x, bar_w = rect.x + label_w + 6, rect.width - label_w - percent_w - 12
    rects = []
    for a, label in enumerate(NAMES):
        y = rect.y + 24 + a * row_h
        color = CHOSEN_COLOR if a == chosen else TEXT_DIM
        fonts.blit(surface, label, SMALL_SIZE, color, midright=(rect.x + label_w, y + row_h // 2))
        pygame.draw.rect(surface, PANEL_EDGE, (bar_x, y + 2, bar_w, row_h - 4), 1)
        p = 0.0 if probs is None else float(probs[a])
        bar = pygame.Rect(bar_x, y + 2, max(1, round(bar_w * min(p / scale, 1.0))), row_h - 4)
        pygame.draw.rect(surface, CHOSEN_COLOR if a == chosen else BAR_COLOR, bar)
        rects.append(bar)
        fonts.blit(surface, f"{100 * p:.1f}%", SMALL_SIZE, color, midright=(rect.right, y + row_h // 2))
    fonts.blit(surface, f"value estimate {value:+.3f}   (expected return from here)", HEADER_SIZE, TEXT,
               topleft=(rect.x, rect.bottom - 20))
    return rects


def draw_league(
    surface: pygame.Surface, rect: pygame.Rect, fonts: Fonts, table: Sequence[Mapping], playing: Mapping[str, int],
) -> None:
    """The league sorted by rating; "now" counts the training matches against each member right now."""
    surface.fill(PANEL_BG, rect)
    pygame.draw.rect(surface, PANEL_EDGE, rect, 1)
    fonts.blit(surface, "League (training opponents)", SMALL_SIZE + 2, TEXT, topleft=(rect.x + 6, rect.y + 4))
    columns = ((rect.x + 8, "name", "topleft"), (rect.x + 170, "Elo", "topright"),
               (rect.x + 218, "games", "topright"), (rect.x + 258, "won", "topright"),
               (rect.right - 8, "now", "topright"))
    y = rect.y + 26
    for x, label, anchor in columns:
        fonts.blit(surface, label, SMALL_SIZE, TEXT_DIM, **{anchor: (x, y)})
    row_h = 15
    rows = (rect.bottom - y - 20) // row_h
    for member in list(table)[:rows]:
        y += row_h
        learner = member["kind"] == "learner"
        color = ACCENT if learner else (TEXT if playing.get(member["name"]) else TEXT_DIM)
        score = member.get("learner_score")
        cells = (member["name"][:22], f"{member['rating']:.0f}", f"{member['games']}",
                 "" if score is None else f"{score:.2f}", str(playing.get(member["name"], "")))
        for (x, _, anchor), text in zip(columns, cells):
            fonts.blit(surface, text, SMALL_SIZE, color, **{anchor: (x, y)})
    fonts.blit(surface, "won: learner's recent score vs it; now: matches in the batch", SMALL_SIZE - 3, TEXT_DIM,
               bottomleft=(rect.x + 6, rect.bottom - 3))
