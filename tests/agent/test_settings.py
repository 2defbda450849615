"""Every training setting is checked up front: a value outside its range is one sentence naming it."""

import math
from dataclasses import asdict, fields

import pytest

from agent.online import OnlineConfig
from agent.trainer import TrainConfig

CONFIGS = [TrainConfig, OnlineConfig]


def numeric_fields(kind):
    return [f for f in fields(kind) if f.type in ("int", "float")]


@pytest.mark.parametrize("kind", CONFIGS)
def test_every_number_has_a_range_and_the_defaults_lie_in_it(kind):
    for f in numeric_fields(kind):
        low, high = f.metadata["range"]
        assert low is not None or high is not None, f.name
        value = getattr(kind(), f.name)
        assert (low is None or low <= value) and (high is None or value <= high), f.name


@pytest.mark.parametrize("kind", CONFIGS)
def test_values_just_outside_each_range_are_refused_naming_the_field(kind):
    cases = 0
    for f in numeric_fields(kind):
        low, high = f.metadata["range"]
        outside = [v for v in (low - 1 if low is not None else None, high + 1 if high is not None else None)
                   if v is not None]
        if f.type == "float":
            outside += [math.nan, math.inf]
        for value in outside:
            with pytest.raises(ValueError) as error:
                kind(**{f.name: value})
            message = str(error.value)
            assert message.startswith(f"{f.name} must be ") and message.endswith(f"(got {value!r})"), message
            assert "\n" not in message
            cases += 1
    assert cases >= 2 * len(numeric_fields(kind))


@pytest.mark.parametrize("kind", CONFIGS)
def test_the_bounds_themselves_are_allowed(kind):
    for f in numeric_fields(kind):
        if f.name in ("num_minibatches", "self_play_matches"):
            continue  # bounded by other fields too, see below
        # the lowest bound of these leaves no room for the defaults of others
        fit = {"num_matches": {"self_play_matches": 0}, "rollout_steps": {"num_minibatches": 1}}.get(f.name, {})
        for bound in f.metadata["range"]:
            if bound is not None:
                assert getattr(kind(**{f.name: bound, **fit}), f.name) == bound


def test_messages_say_the_range_in_words():
    cases = {
        "gamma must be between 0 and 1 (got 5.0)": dict(gamma=5.0),
        "num_minibatches must be between 1 and 4096 (got 0)": dict(num_minibatches=0),
        "seed must be between 0 and 4294967295 (got -1)": dict(seed=-1),
        "snapshot_every must be at least 0 (got -2)": dict(snapshot_every=-2),
        "learning_rate must be between 0 and 1 (got nan)": dict(learning_rate=math.nan),
        "num_steps must be a whole number (got 2.5)": dict(num_steps=2.5),
        "anneal_lr must be true or false (got 1)": dict(anneal_lr=1),
        "ent_coef must be a number (got '0.1')": dict(ent_coef="0.1"),
        "league_bots must be a text (got 3)": dict(league_bots=3),
    }
    for expected, changes in cases.items():
        with pytest.raises(ValueError) as error:
            TrainConfig(**changes)
        assert str(error.value) == expected


def test_settings_that_must_fit_together():
    with pytest.raises(ValueError, match=r"^self_play_matches must be between 0 and num_matches, 4 \(got 5\)$"):
        TrainConfig(num_matches=4, self_play_matches=5)
    # 4 matches, 1 of them self-play: 5 streams of 2 steps = 10 samples per rollout
    TrainConfig(num_matches=4, self_play_matches=1, num_steps=2, num_minibatches=10)
    with pytest.raises(ValueError, match=r"^num_minibatches must be between 1 and the samples in a rollout, 10 "):
        TrainConfig(num_matches=4, self_play_matches=1, num_steps=2, num_minibatches=11)
    with pytest.raises(ValueError, match=r"^num_minibatches must be between 1 and rollout_steps, 3 \(got 4\)$"):
        OnlineConfig(rollout_steps=3)
    # a name that is not a bot is a saved agent, looked up (and refused if missing) by the session
    assert TrainConfig(league_bots="aimbot, nobody").league_agents == ("nobody",)
    with pytest.raises(ValueError, match="^league_bots must name at least one opponent"):
        TrainConfig(league_bots=" , ")
    assert TrainConfig(league_bots="", num_matches=16, self_play_matches=16).bots == ()  # all self-play: no league


def test_league_shares_name_league_members_with_fractions_that_fit():
    config = TrainConfig(league_bots="random,aimbot,rookie", league_shares=" aimbot = 0.3, rookie=0.1")
    assert config.shares == (("aimbot", 0.3), ("rookie", 0.1))
    assert config.new_league().shares == (("aimbot", 0.3), ("rookie", 0.1))
    assert TrainConfig().shares == ()
    cases = {
        "league_shares names 'sniper', which is not in the league (league_bots)": "sniper=0.2",
        "league_shares must add up to at most 1 (got 1.2)": "aimbot=0.7,random=0.5",
        "league_shares must be NAME=FRACTION entries with a fraction above 0 and at most 1 (got 'aimbot')": "aimbot",
        "league_shares must be NAME=FRACTION entries with a fraction above 0 and at most 1 (got 'aimbot=lots')":
            "aimbot=lots",
        "league_shares must be NAME=FRACTION entries with a fraction above 0 and at most 1 (got 'aimbot=0')":
            "aimbot=0",
    }
    for expected, shares in cases.items():
        with pytest.raises(ValueError) as error:
            TrainConfig(league_bots="random,aimbot", league_shares=shares)
        assert str(error.value) == expected


def test_a_config_saved_and_read_back_is_accepted():
    for kind in CONFIGS:
        assert kind(**asdict(kind())) == kind()
