"""Line charts drawn with pygame onto any Surface, and saved as PNG files without a window.

The project's one chart drawer. A :class:`Chart` is a title, axis labels and some
:class:`Series` of (x, y) points (None in y leaves a gap). :func:`draw_chart` draws one into a
rectangle of a surface in a :class:`ChartStyle`: :data:`REPORT_STYLE` for the training curves of
``python main.py agents report``, :data:`PANEL_STYLE` for the small live charts of the watch
window. :func:`draw_charts` lays several out in a grid under a title; :func:`save_png` writes a
surface atomically. Only ``pygame.font`` is initialised (no display), so this works headless.

Every label sits outside the plot area (title and legend above it, tick labels left of and
below it, each kept inside the chart's rectangle), and the lines are clipped to the plot, so no
line ever crosses a label.
"""

from __future__ import annotations

import math
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Sequence

import pygame

Color = tuple[int, int, int]

BACKGROUND: Color = (24, 38, 40)  # the game's panel slate
PLOT_BG: Color = (32, 50, 52)
GRID: Color = (58, 84, 84)
AXIS: Color = (110, 140, 138)
TEXT: Color = (226, 232, 228)
TEXT_DIM: Color = (150, 170, 166)
PALETTE: tuple[Color, ...] = (
    (94, 170, 255),  # blue
    (255, 150, 70),  # orange
    (120, 220, 140),  # green
    (236, 120, 210),  # pink
    (240, 225, 110),  # yellow
    (120, 230, 230),  # cyan
)
CELL_SIZE = (600, 300)  # px of one chart in the grid
TITLE_HEIGHT = 44
MARKERS_UP_TO = 40  # points per series below which each point also gets a dot
LINE_OVERHANG = 3  # px a line (or a dot) may reach past the plot's edge, so points on it show whole


@dataclass(frozen=True)
class ChartStyle:
    """Sizes of one kind of chart: margins in px around the plot, font sizes, ticks per axis."""

    margins: tuple[int, int, int, int] = (70, 54, 16, 42)  # left (y ticks, label), top (title, legend), right, bottom
    title_size: int = 24
    legend_size: int = 18
    tick_size: int = 18
    title_at: tuple[int, int] = (70, 8)  # px from the chart's top left to the title's
    legend_top: int = 32  # px from the chart's top to the legend row (left-aligned with the title)
    x_ticks: int = 6
    y_ticks: int = 5
    y_label: bool = True  # the y axis label, turned on its side, in the left margin
    short_numbers: bool = False  # tick labels like 250k and 1.5M
    border: Color | None = None  # a frame around the whole chart


REPORT_STYLE = ChartStyle()
PANEL_STYLE = ChartStyle(margins=(36, 40, 10, 30), title_size=18, legend_size=16, tick_size=14, title_at=(6, 4),
                         legend_top=22,
                         x_ticks=3, y_ticks=3, y_label=False, short_numbers=True, border=(70, 104, 104))
MARGINS = REPORT_STYLE.margins


class TextDrawer(Protocol):
    """Anything that renders and places text: :class:`Text` here, or the app's ``Fonts``."""

    def text(self, text: str, size: int, color: Color) -> pygame.Surface: ...

    def blit(self, target: pygame.Surface, text: str, size: int, color: Color, **anchor: object) -> pygame.Rect: ...


@dataclass(frozen=True)
class Series:
    """One line: ``x`` and ``y`` of equal length; None in ``y`` leaves a gap."""

    label: str
    x: Sequence[float]
    y: Sequence[float | None]

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"series {self.label!r} has {len(self.x)} x values but {len(self.y)} y values")

    def points(self) -> list[tuple[float, float]]:
        return [(x, y) for x, y in zip(self.x, self.y) if y is not None and math.isfinite(y)]


@dataclass(frozen=True)
class Chart:
    """A line chart: ``y_range`` fixes the y axis (e.g. (0, 1) for rates), else it fits the data."""

    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    y_range: tuple[float, float] | None = None
    empty: str = "no data"  # shown in the plot when no series has a point


# ----------------------------------------------------------------------------------------
def nice_step(low: float, high: float, count: int = 5) -> float:
    """The round step (1, 2 or 5 times a power of ten) that gives about ``count`` ticks in low..high."""
    if not high > low:
        return 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """The multiples of :func:`nice_step` in low..high: about ``count`` round values."""
    if not high > low:
        return [low]
    step = nice_step(low, high, count)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def tick_text(value: float, step: float, short: bool = False) -> str:
    """A tick label with as many decimals as the step needs: '0.25', '1,200', '0.001'.

    ``short``: thousands and millions as 'k' and 'M' when the step allows ('250k', '1.5M').
    """
    if short and step >= 1000:
        if value == 0:
            return "0"
        unit, letter = (1e6, "M") if step >= 100_000 else (1e3, "k")
        return tick_text(value / unit, step / unit) + letter
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    return f"{value:,.{min(decimals, 6)}f}"


def data_range(values: list[float], fixed: tuple[float, float] | None = None) -> tuple[float, float]:
    """The axis range for ``values``: ``fixed`` if given, else their span plus 5 % (never empty)."""
    if fixed is not None:
        return fixed
    if not values:
        return (0.0, 1.0)
    low, high = min(values), max(values)
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        return (low - pad, high + pad)
    pad = (high - low) * 0.05
    return (low - pad, high + pad)


# ----------------------------------------------------------------------------------------
class Text:
    """pygame's default font in a few sizes."""

    def __init__(self) -> None:
        self._fonts: dict[int, pygame.font.Font] = {}

    def text(self, text: str, size: int, color: Color) -> pygame.Surface:
        if size not in self._fonts:
            self._fonts[size] = pygame.font.Font(None, size)
        return self._fonts[size].render(text, True, color)

    def blit(self, target: pygame.Surface, text: str, size: int, color: Color, **anchor: object) -> pygame.Rect:
        surface = self.text(text, size, color)
        rect = surface.get_rect(**anchor)
        target.blit(surface, rect)
        return rect


def _label(surface: pygame.Surface, text: TextDrawer, words: str, size: int, color: Color, inside: pygame.Rect,
           **anchor: object) -> pygame.Rect:
    """``words`` placed by ``anchor``, then moved as little as needed to lie within ``inside``."""
    image = text.text(words, size, color)
    rect = image.get_rect(**anchor).clamp(inside)
    surface.blit(image, rect)
    return rect


def draw_chart(surface: pygame.Surface, rect: pygame.Rect, chart: Chart, text: TextDrawer | None = None,
               style: ChartStyle = REPORT_STYLE) -> None:
    """Draw ``chart`` into ``rect`` of ``surface``: title, legend, grid, ticks, axis labels, lines."""
    text = text or Text()
    left, top, right, bottom = style.margins
    plot = pygame.Rect(rect.left + left, rect.top + top, rect.width - left - right, rect.height - top - bottom)
    surface.fill(BACKGROUND, rect)
    if style.border is not None:
        pygame.draw.rect(surface, style.border, rect, 1)
    title_x, title_y = rect.left + style.title_at[0], rect.top + style.title_at[1]
    text.blit(surface, chart.title, style.title_size, TEXT, topleft=(title_x, title_y))
    _draw_legend(surface, text, chart, style, title_x, rect.top + style.legend_top, rect.right - 4)

    points = [p for s in chart.series for p in s.points()]
    if not points:  # no plot, only the message (it may be wider than the plot)
        _label(surface, text, chart.empty, style.title_size, TEXT_DIM, rect, center=plot.center)
        return
    surface.fill(PLOT_BG, plot)
    x_range = data_range([x for x, _ in points])
    y_range = data_range([y for _, y in points], chart.y_range)
    _draw_axes(surface, text, rect, plot, chart, style, x_range, y_range)
    clip = surface.get_clip()
    surface.set_clip(plot.inflate(2 * LINE_OVERHANG, 2 * LINE_OVERHANG).clip(rect))
    for index, series in enumerate(chart.series):
        _draw_series(surface, plot, series, PALETTE[index % len(PALETTE)], x_range, y_range)
    surface.set_clip(clip)
    pygame.draw.rect(surface, AXIS, plot, 1)


def _draw_legend(surface: pygame.Surface, text: TextDrawer, chart: Chart, style: ChartStyle, left: int, y: int,
                 right: int) -> None:
    """Each series' colour and label, in a row under the title, labels in their line's colour.

    When the row would run past ``right``, the colour swatches are left out (the labels' colours
    still tell the lines apart).
    """
    images = [text.text(s.label, style.legend_size, PALETTE[k % len(PALETTE)]) for k, s in enumerate(chart.series)]
    swatch, gap = 19, 14
    swatches = left + sum(swatch + image.get_width() + gap for image in images) - gap <= right
    x = left
    for index, image in enumerate(images):
        if swatches:
            middle = y + image.get_height() // 2
            pygame.draw.line(surface, PALETTE[index % len(PALETTE)], (x, middle), (x + swatch - 5, middle), 3)
            x += swatch
        surface.blit(image, (x, y))
        x += image.get_width() + gap


def _draw_axes(surface: pygame.Surface, text: TextDrawer, rect: pygame.Rect, plot: pygame.Rect, chart: Chart,
               style: ChartStyle, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
    """Grid lines with tick labels on both axes (outside the plot), and the axis labels."""
    xs, x_step = nice_ticks(*x_range, count=style.x_ticks), nice_step(*x_range, count=style.x_ticks)
    ys, y_step = nice_ticks(*y_range, count=style.y_ticks), nice_step(*y_range, count=style.y_ticks)
    size, short = style.tick_size, style.short_numbers
    below = pygame.Rect(rect.left, plot.bottom + 1, rect.width, rect.bottom - plot.bottom - 1)
    beside = pygame.Rect(rect.left, rect.top, plot.left - rect.left - 2, rect.height)
    for x in xs:
        px = _to_screen(x, x_range, plot.left, plot.right)
        pygame.draw.line(surface, GRID, (px, plot.top), (px, plot.bottom))
        _label(surface, text, tick_text(x, x_step, short), size, TEXT_DIM, below, midtop=(px, plot.bottom + 4))
    for y in ys:
        py = _to_screen(y, y_range, plot.bottom, plot.top)
        pygame.draw.line(surface, GRID, (plot.left, py), (plot.right, py))
        _label(surface, text, tick_text(y, y_step, short), size, TEXT_DIM, beside, midright=(plot.left - 5, py))
    _label(surface, text, chart.x_label, size, TEXT_DIM, below, midbottom=(plot.centerx, rect.bottom - 2))
    if style.y_label:
        label = pygame.transform.rotate(text.text(chart.y_label, size, TEXT_DIM), 90)
        surface.blit(label, label.get_rect(midleft=(rect.left + 4, plot.centery)))


def _draw_series(surface: pygame.Surface, plot: pygame.Rect, series: Series, color: Color,
                 x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
    """The series as lines between neighbouring points (broken at gaps), dots when there are few."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(series.x, series.y):
        if y is None or not math.isfinite(y):
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((_to_screen(x, x_range, plot.left, plot.right), _to_screen(y, y_range, plot.bottom, plot.top)))
    dots = len(series.points()) <= MARKERS_UP_TO
    for run in runs:
        if len(run) > 1:
            pygame.draw.lines(surface, color, False, run, 2)
        if dots or len(run) == 1:
            for point in run:
                pygame.draw.circle(surface, color, point, 3)


def _to_screen(value: float, value_range: tuple[float, float], start: float, end: float) -> float:
    low, high = value_range
    return start + (value - low) / (high - low) * (end - start)


# ----------------------------------------------------------------------------------------
def draw_charts(title: str, charts: list[Chart], columns: int = 2, cell: tuple[int, int] = CELL_SIZE) -> pygame.Surface:
    """A new surface with ``title`` on top and the charts in a grid of ``columns``, row by row."""
    started_fonts = not pygame.font.get_init()
    pygame.font.init()
    try:
        text = Text()
        rows = max(1, math.ceil(len(charts) / columns))
        surface = pygame.Surface((columns * cell[0], TITLE_HEIGHT + rows * cell[1]))
        surface.fill(BACKGROUND)
        text.blit(surface, title, 30, TEXT, midleft=(16, TITLE_HEIGHT // 2 + 2))
        for index, chart in enumerate(charts):
            row, column = divmod(index, columns)
            rect = pygame.Rect(column * cell[0], TITLE_HEIGHT + row * cell[1], cell[0], cell[1])
            draw_chart(surface, rect, chart, text)
        return surface
    finally:
        if started_fonts:
            pygame.font.quit()


def save_png(surface: pygame.Surface, path: str | os.PathLike) -> None:
    """Write ``surface`` as a PNG at ``path`` atomically (beside it first, then renamed over it).

    Raises OSError (from the file system) or pygame.error if it cannot be written.
    """
    path = Path(path)
    tmp = path.parent / f".{path.stem}.{secrets.token_hex(6)}.tmp.png"
    try:
        pygame.image.save(surface, str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
