"""game.charts: round ticks, lines where the data says, gaps where it has none, atomic PNGs."""

import pygame
import pytest

from game.charts import (
    PALETTE, PANEL_STYLE, REPORT_STYLE, TEXT_DIM, Chart, Series, draw_chart, draw_charts, nice_ticks, save_png,
    tick_text,
)


def test_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0.0, 1.0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert nice_ticks(2.06, 2.93) == pytest.approx([2.2, 2.4, 2.6, 2.8])
    assert nice_ticks(880, 1240) == [900, 1000, 1100, 1200]
    assert tick_text(1200, 100) == "1,200" and tick_text(0.25, 0.05) == "0.25" and tick_text(2.4, 0.2) == "2.4"
    assert tick_text(1_500_000, 500_000, short=True) == "1.5M" and tick_text(250_000, 50_000, short=True) == "250k"
    assert tick_text(0, 1_000_000, short=True) == "0" and tick_text(1200, 100, short=True) == "1,200"


def test_lines_go_through_their_points_and_break_at_gaps():
    pygame.font.init()
    surface = pygame.Surface((600, 300))
    rect = surface.get_rect()
    chart = Chart("t", "x", "y", [Series("a", [0, 1, 2, 3, 4], [0, 1, None, 3, 4])], y_range=(0, 4))
    draw_chart(surface, rect, chart)
    pixels = pygame.surfarray.array3d(surface)

    def colored(x: float, y: float) -> bool:  # data (x, y) -> the plot's pixels around it
        left, top, right, bottom = 70, 54, 600 - 16, 300 - 42
        px = round(left + (x - 0) / 4.4 * (right - left) + 0.2 / 4.4 * (right - left))  # x range is padded 5 %
        py = round(bottom - y / 4 * (bottom - top))
        return (pixels[px - 2:px + 3, py - 2:py + 3] == PALETTE[0]).all(axis=2).any()

    assert colored(0.5, 0.5) and colored(3.5, 3.5)  # on the segments
    assert not colored(1.5, 1.5) and not colored(2.5, 2.5)  # the gap around the missing value
    with pytest.raises(ValueError, match="2 x values but 1 y values"):
        Series("bad", [0, 1], [0])


def test_a_grid_of_charts_is_saved_as_a_png_without_a_window(tmp_path):
    charts = [Chart(f"chart {i}", "minutes", "value", [Series("s", [0, 1], [i, i + 1])]) for i in range(3)]
    charts.append(Chart("empty", "minutes", "value", []))
    surface = draw_charts("title", charts, columns=2, cell=(300, 200))
    assert surface.get_size() == (600, 44 + 2 * 200)
    path = tmp_path / "charts.png"
    save_png(surface, path)
    assert pygame.image.load(str(path)).get_size() == (600, 444)
    assert [p.name for p in tmp_path.iterdir()] == ["charts.png"]
    assert not pygame.display.get_init()


@pytest.mark.parametrize("style, size", [(REPORT_STYLE, (600, 300)), (PANEL_STYLE, (180, 200))])
def test_no_line_crosses_a_label(style, size):
    """Labels sit outside the plot and lines stay inside it (give or take the width of a dot)."""
    pygame.font.init()
    surface = pygame.Surface(size)
    rect = surface.get_rect()
    xs = list(range(50))
    chart = Chart("title", "samples", "value", [
        Series("high 1.00", xs, [1.0 if k % 2 else 0.0 for k in xs]),  # zigzags between the y range's ends
        Series("low", xs, [0.5] * 50),
    ], y_range=(0.2, 0.8))  # narrower than the data: the lines must be cut at the plot's edges
    draw_chart(surface, rect, chart, style=style)
    pixels = pygame.surfarray.array3d(surface)
    left, top, right, bottom = style.margins
    plot = pygame.Rect(left, top, size[0] - left - right, size[1] - top - bottom)
    text = (pixels == TEXT_DIM).all(axis=2)
    assert text.sum() > 5  # the tick labels are drawn ...
    assert not text[plot.left:plot.right, plot.top:plot.bottom].any()  # ... and none inside the plot
    line = (pixels == PALETTE[0]).all(axis=2)
    line[:, :top] = False  # the legend row above the plot has the line's colour too
    xs_, ys_ = line.nonzero()
    reach = plot.inflate(6, 6)
    assert len(xs_) > 100 and all(reach.collidepoint(x, y) for x, y in zip(xs_, ys_))
