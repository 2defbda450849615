"""The shared shapes: checked against their definitions, by distances and angles."""

import math

import pytest

from game.geometry import GOLDEN, bullet_streak, flame, shard_triangles, ship_outline
from game.rules import Rules
from game.world import World


def test_ship_outline_is_a_regular_pentagon_with_the_nose_first():
    corners = ship_outline(100.0, 50.0, 0.3, 18.0)
    assert len(corners) == 5
    for x, y in corners:
        assert math.hypot(x - 100.0, y - 50.0) == pytest.approx(18.0)
    assert math.atan2(corners[0][1] - 50.0, corners[0][0] - 100.0) == pytest.approx(0.3)
    sides = [math.dist(corners[k], corners[(k + 1) % 5]) for k in range(5)]
    assert sides == pytest.approx([2 * 18.0 * math.sin(math.pi / 5)] * 5)


def test_a_fired_bullets_streak_is_bullet_length_long_and_trails_it():
    rules = Rules()
    world = World(rules, seed=1)
    world.step((1, 0))  # player 1 fires
    (bullet,) = world.bullets
    tail, head = bullet_streak(bullet, rules)
    assert head == (bullet.x, bullet.y)
    assert math.dist(tail, head) == pytest.approx(rules.bullet_length_px)
    # the tail lies behind: the streak points the way the bullet flies
    assert (head[0] - tail[0]) * bullet.vx + (head[1] - tail[1]) * bullet.vy > 0


def test_the_flame_points_backwards_and_flickers_longer():
    left, tip, right = flame(0.0, 0.0, 0.0, 10.0)
    assert tip == pytest.approx((-15.0, 0.0))
    assert left[0] < 0 and right[0] < 0 and left[1] == pytest.approx(-right[1])
    assert flame(0.0, 0.0, 0.0, 10.0, flicker=1.25)[1] == pytest.approx((-18.75, 0.0))


def test_the_shards_cover_the_pentagon_exactly():
    def area(t):
        (ax, ay), (bx, by), (cx, cy) = t
        return abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)) / 2

    r = 18.0
    pentagon_area = 5 / 2 * r * r * math.sin(2 * math.pi / 5)
    inner = r / GOLDEN**2
    inner_area = 5 / 2 * inner * inner * math.sin(2 * math.pi / 5)
    shards = shard_triangles(r)
    assert len(shards) == 10
    assert sum(area(t) for t in shards) + inner_area == pytest.approx(pentagon_area)
