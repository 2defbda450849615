"""The cross-play table's Elo fit, against hand-worked numbers."""

import math

import numpy as np
import pytest

from benchmarks.league import CrossPlay, cross_play, fit_elo
from game.bots import BOTS


def table(scores: dict, names: list[str], games: int = 100) -> tuple[np.ndarray, np.ndarray]:
    n = len(names)
    s, g = np.full((n, n), 0.5), np.zeros((n, n))
    for (a, b), value in scores.items():
        i, j = names.index(a), names.index(b)
        s[i, j], s[j, i] = value, 1 - value
        g[i, j] = g[j, i] = games
    return s, g


def test_two_players_differ_by_the_elo_of_their_score_with_one_virtual_draw():
    s, g = table({("a", "b"): 0.755}, ["a", "b"])
    r = fit_elo(s, g, ["a", "b"])
    p = (75.5 + 0.5) / 101  # 75.5 points of 100, plus half of the virtual draw
    assert r[0] - r[1] == pytest.approx(400 * math.log10(p / (1 - p)), abs=1e-6)
    assert r.mean() == pytest.approx(1000.0)


def test_random_is_the_anchor_and_a_perfect_score_stays_finite():
    names = ["random", "x"]
    s, g = table({("x", "random"): 1.0}, names)
    r = fit_elo(s, g, names)
    assert r[0] == pytest.approx(1000.0)
    p = 100.5 / 101
    assert r[1] - 1000 == pytest.approx(400 * math.log10(p / (1 - p)), abs=1e-6)


def test_a_consistent_table_gives_additive_ratings():
    # scores generated from ratings 1000, 1100, 1300 with very many games: the fit recovers them
    names = ["random", "b", "c"]
    truth = {"random": 1000.0, "b": 1100.0, "c": 1300.0}
    expect = lambda x, y: 1 / (1 + 10 ** ((truth[y] - truth[x]) / 400))  # noqa: E731
    s, g = table({(x, y): expect(x, y) for x, y in [("b", "random"), ("c", "random"), ("c", "b")]}, names, 10**7)
    r = dict(zip(names, fit_elo(s, g, names)))
    for name in names:
        assert r[name] == pytest.approx(truth[name], abs=0.01)


def test_cross_play_plays_every_pair_and_orders_the_bots():
    result = cross_play(["random", "aimbot", "idle"], lambda n: BOTS[n](), matches=4, seed=1)
    assert isinstance(result, CrossPlay)
    assert result.games[0, 1] == 4 and result.games[1, 2] == 4 and result.games[0, 0] == 0
    off = ~np.eye(3, dtype=bool)
    np.testing.assert_allclose((result.score + result.score.T)[off], 1.0)
    ratings = result.ratings()
    assert ratings["aimbot"] > ratings["random"] and ratings["aimbot"] > ratings["idle"]


def test_pairs_that_did_not_play_are_no_evidence():
    # a > b by 0.76 (one virtual draw), b > c by 0.76, a and c never met: the chain adds up
    names = ["a", "b", "c"]
    s = np.full((3, 3), np.nan)
    g = np.zeros((3, 3))
    for i, j in ((0, 1), (1, 2)):
        s[i, j], s[j, i], g[i, j], g[j, i] = 0.755, 0.245, 100, 100
    r = fit_elo(s, g, names)
    p = (75.5 + 0.5) / 101
    step = 400 * math.log10(p / (1 - p))
    assert r[0] - r[1] == pytest.approx(step, abs=1e-6) and r[1] - r[2] == pytest.approx(step, abs=1e-6)


def test_cross_play_plays_only_the_pairs_asked_for():
    result = cross_play(["random", "idle", "aimbot"], lambda n: BOTS[n](), matches=2, seed=1,
                        plays=lambda a, b: "aimbot" in (a, b))
    assert result.games[0, 1] == 0 and result.games[0, 2] == 2 and result.games[1, 2] == 2
    assert CrossPlay.as_dict(result)["score"][0][1] is None


def test_the_table_tells_apart_names_that_start_alike(tmp_path):
    from benchmarks.league import format_table, table_png

    names = ["champion-2026-11", "champion-2026-12", "random"]
    s, g = table({("champion-2026-11", "champion-2026-12"): 0.25, ("champion-2026-11", "random"): 1.0,
                  ("champion-2026-12", "random"): 1.0}, names)
    text = format_table(CrossPlay(names, s, g)).splitlines()
    assert [line.split()[:2] for line in text[1:]] == [["1", "champion-2026-12"], ["2", "champion-2026-11"],
                                                      ["3", "random"]]
    assert text[0].split() == ["1", "2", "3", "field", "Elo"]
    assert text[1].split()[2:5] == ["-", "0.75", "1.00"]  # the row of the best, against 1, 2, 3
    table_png(CrossPlay(names, s, g), tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 0
