"""game.charts: round ticks, lines where the data says, gaps where it has none, atomic PNGs."""

import pygame
import pytest

from game.charts import PALETTE, Chart, Series, draw_chart, draw_charts, nice_ticks, save_png, tick_text


def test_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0.0, 1.0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert nice_ticks(2.06, 2.93) == pytest.approx([2.2, 2.4, 2.6, 2.8])
    assert nice_ticks(880, 1240) == [900, 1000, 1100, 1200]
    assert tick_text(1200, 100) == "1,200" and tick_text(0.25, 0.05) == "0.25" and tick_text(2.4, 0.2) == "2.4"


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
