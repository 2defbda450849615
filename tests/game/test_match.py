"""Series of matches: numbering, seeds and sides from one helper, checked against SeedSequence itself."""

import numpy as np

from game.bots import BOTS
from game.match import MatchSeries, evaluate, play_match, run_match, score_margin


def test_match_i_of_a_series_has_the_seedsequence_seeds_of_seed_and_i():
    for seed, index in ((0, 0), (7, 3), (2**40, 11)):
        world, p1, p2 = (int(s) for s in np.random.SeedSequence([seed, index]).generate_state(3))
        match = MatchSeries(seed).match(index)
        assert (match.index, match.world_seed, match.controller_seeds) == (index, world, (p1, p2))
        assert match.new_world().seed == world


def test_sides_swap_every_match_only_when_asked():
    swapping, fixed = MatchSeries(5, swap_sides=True), MatchSeries(5)
    assert [swapping.match(i).sides("a", "b") for i in range(4)] == [("a", "b"), ("b", "a")] * 2
    assert [fixed.match(i).sides("a", "b") for i in range(4)] == [("a", "b")] * 4
    assert swapping.match(3).world_seed == fixed.match(3).world_seed  # the sides do not change the seeds


def test_play_match_is_run_match_of_the_series_match():
    a = play_match((BOTS["aimbot"](), BOTS["random"]()), seed=4, index=2)
    b = run_match((BOTS["aimbot"](), BOTS["random"]()), MatchSeries(4).match(2))
    assert a == b


def test_evaluate_plays_each_contender_on_both_sides():
    result = evaluate(BOTS["aimbot"], BOTS["idle"], matches=4, seed=1, names=("aimbot", "idle"))
    for contender in result["contenders"]:
        assert contender["by_side"]["player1"]["matches"] == contender["by_side"]["player2"]["matches"] == 2
    # the aimbot beats a ship that never moves from either side
    assert result["contenders"][0]["by_side"]["player2"]["wins"] >= 1


def test_score_margin_is_1_96_standard_errors_of_the_per_match_scores():
    for wins, draws, losses in ((120, 2, 78), (9, 0, 1), (3, 4, 5), (50, 0, 0)):
        per_match = np.array([1.0] * wins + [0.5] * draws + [0.0] * losses)
        reference = 1.96 * per_match.std(ddof=1) / np.sqrt(per_match.size)
        assert np.isclose(score_margin(wins, draws, losses), reference)
    # worked by hand: 0.605 over 200 matches; mean of squares 0.6025, variance 0.236475 * 200/199
    assert round(score_margin(120, 2, 78), 4) == 0.0676
    assert score_margin(1, 0, 0) == 0.0 and score_margin(0, 0, 0) == 0.0
