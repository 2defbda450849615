"""Style cards, against pilots whose style is known by construction."""

import pytest

from game.actions import THRUST_FORWARD, TURN_NONE, encode
from game.bots import IdleBot
from game.rules import Rules
from game.style import random_placement_shares, style_card

QUIET = Rules(asteroid_start_count=0, asteroid_spawn_per_s=0.0, time_limit_s=10.0)


class Climber:
    """Flies straight on from the start (heading up) and stays pressed against the top wall."""

    def reset(self, seed=None):
        pass

    def act(self, world, player):
        return encode(THRUST_FORWARD, TURN_NONE, False)


def test_a_still_ship_is_never_near_a_wall_and_keeps_its_starting_distance():
    card = style_card(IdleBot, IdleBot, matches=2, seed=1, rules=QUIET)
    assert card.near_wall == 0.0 and card.near_corner == 0.0
    assert card.mean_distance == pytest.approx(400.0)  # the ships start 400 px apart
    assert card.shots_per_minute == 0.0 and card.deaths == 0 and card.score == 0.5
    assert card.living_s == pytest.approx(2 * 10.0, abs=0.05)
    assert card.heat.sum() == pytest.approx(card.living_s)


def test_a_ship_that_flies_to_the_wall_spends_its_time_there():
    card = style_card(Climber, IdleBot, matches=2, seed=1, rules=QUIET)
    # from y = 300 at up to 350 px/s it is within 60 px of the top after about 0.9 s of 10
    assert 0.85 < card.near_wall < 0.95
    assert card.near_corner == 0.0  # x stays at 400 or 800
    assert card.heat[0].sum() > 0.8 * card.living_s  # the top row of cells


def test_random_placement_shares_match_the_arena_areas():
    wall, corner = random_placement_shares()
    assert wall == pytest.approx(1 - (1080 * 480) / (1200 * 600))
    assert corner == pytest.approx(3.14159265 * 100**2 / (1200 * 600))
