"""The league's Elo and matchmaking, against numbers worked by hand."""

import numpy as np
import pytest

from agent.league import League


def test_elo_updates_by_hand():
    league = League(bots=("random", "aimbot"), elo_k=16.0)
    league.record("aimbot", 1.0)  # both 1000: expected 0.5, so +8 / -8
    assert league.learner_rating == pytest.approx(1008.0)
    assert league.members["aimbot"].rating == pytest.approx(992.0)
    league.record("random", 0.0)  # expected 1 / (1 + 10 ** (-8 / 400)) = 0.511511...
    expected = 1 / (1 + 10 ** ((1000 - 1008) / 400))
    assert expected == pytest.approx(0.5115, abs=1e-4)
    assert league.learner_rating == pytest.approx(1008.0 - 16 * expected)
    assert league.members["random"].rating == 1000.0  # the anchor never moves
    league.record("aimbot", 0.5)  # a draw against a weaker member costs a little
    e = 1 / (1 + 10 ** ((992 - (1008 - 16 * expected)) / 400))
    assert league.members["aimbot"].rating == pytest.approx(992.0 - 16 * (0.5 - e))


def test_prioritized_weights_by_hand():
    league = League(bots=("a", "b", "c"), spread=0.15, floor=0.03)
    league.members["a"].recent = [1.0] * 10  # always beaten: (1 - 1)(1 + .15) + .03
    league.members["b"].recent = [1.0, 0.0, 0.0, 0.5, 0.5]  # score 0.4: (0.6)(0.55) + .03
    w = league.weights()
    assert w["a"] == pytest.approx(0.03)
    assert w["b"] == pytest.approx(0.36)
    assert w["c"] == pytest.approx(0.5 * 0.65 + 0.03)  # unknown: 0.5
    draws = [league.sample(np.random.default_rng(k)) for k in range(3000)]
    total = sum(w.values())
    for name in "abc":
        assert draws.count(name) / len(draws) == pytest.approx(w[name] / total, abs=0.03)


def test_hard_weights_by_hand_favour_the_opponents_the_learner_loses_to():
    league = League(bots=("a", "b", "c"), floor=0.03, weighting="hard")
    league.members["a"].recent = [1.0] * 10  # always beaten: (1 - 1) ** 2 + .03
    league.members["b"].recent = [1.0, 0.0, 0.0, 0.5, 0.5]  # score 0.4: 0.6 ** 2 + .03
    league.members["c"].recent = [0.0] * 4  # never beaten: 1 + .03
    w = league.weights()
    assert w == pytest.approx({"a": 0.03, "b": 0.39, "c": 1.03})
    variance = League(bots=("a", "b", "c"), floor=0.03)
    for name in "abc":
        variance.members[name].recent = list(league.members[name].recent)
    assert variance.weights()["c"] < variance.weights()["b"]  # the default prefers the even match
    with pytest.raises(ValueError, match="weighting"):
        League(bots=("a",), weighting="harder")


def test_snapshots_beyond_the_limit_drop_the_oldest_but_agents_stay():
    league = League(bots=("random",), max_snapshots=2, agents=("champion-old",))
    assert league.add_snapshot("s1", 10) == []
    assert league.add_snapshot("s2", 20) == []
    assert league.add_snapshot("s3", 30) == ["s1"]
    assert set(league.members) == {"random", "champion-old", "s2", "s3"}
    assert league.members["champion-old"].kind == "agent"
    assert league.members["s3"].rating == league.learner_rating


def test_state_round_trip():
    league = League(bots=("random", "aimbot"), agents=("old",))
    league.record("aimbot", 1.0)
    league.record("old", 0.0)
    again = League(bots=("random", "aimbot"), agents=("old",))
    again.load_state_dict(league.state_dict())
    assert again.table() == league.table()


def test_a_fixed_share_is_drawn_that_often_whatever_the_learner_scores():
    league = League(bots=("a", "b", "c"), spread=0.15, floor=0.03, shares=(("a", 0.3),))
    league.members["a"].recent = [1.0] * 10  # always beaten: by its weight alone it would get 4 %
    league.members["b"].recent = [1.0, 0.0, 0.0, 0.5, 0.5]  # weight 0.36
    rng = np.random.default_rng(5)
    draws = [league.sample(rng) for _ in range(6000)]
    w_b, w_c = 0.36, 0.5 * 0.65 + 0.03  # b and c share the other 70 % by their weights
    assert draws.count("a") / len(draws) == pytest.approx(0.3, abs=0.02)
    assert draws.count("b") / len(draws) == pytest.approx(0.7 * w_b / (w_b + w_c), abs=0.02)
    assert draws.count("c") / len(draws) == pytest.approx(0.7 * w_c / (w_b + w_c), abs=0.02)


def test_shares_alone_split_the_draws_when_no_other_member_is_left():
    league = League(bots=("a", "b"), shares=(("a", 0.2), ("b", 0.2)))
    rng = np.random.default_rng(6)
    draws = [league.sample(rng) for _ in range(4000)]
    assert draws.count("a") / len(draws) == pytest.approx(0.5, abs=0.03)
