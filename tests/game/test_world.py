"""The rules of the simulation, checked tick by tick against hand-worked expectations."""

import math
import subprocess
import sys

import numpy as np
import pytest

from game.actions import NUM_ACTIONS, encode, decode, mirror
from game.rules import Rules
from game.world import Asteroid, World

FIRE = encode(0, 0, True)
LEFT = encode(0, 1, False)
FORWARD = encode(1, 0, False)
BACKWARD = encode(2, 0, False)
IDLE = 0

EMPTY = Rules(asteroid_start_count=0, asteroid_spawn_per_s=0.0)


def empty_world(**overrides) -> World:
    """A world without asteroids and without the spawner, for exact rule checks."""
    rules = Rules(asteroid_start_count=0, asteroid_spawn_per_s=0.0, **overrides)
    return World(rules, seed=0)


def put_asteroid(world: World, x: float, y: float, radius: float) -> Asteroid:
    a = world._new_asteroid(x, y, radius, 0.0)
    a.vx = a.vy = 0.0  # keep it still for the test
    a.retarget_tick = 10**9
    world.asteroids.append(a)
    return a


def test_actions_encode_decode_roundtrip_and_mirror():
    for a in range(NUM_ACTIONS):
        assert encode(*decode(a)) == a
        assert mirror(mirror(a)) == a
    assert decode(0) == (0, 0, False)
    assert mirror(encode(1, 1, True)) == encode(1, 2, True)
    with pytest.raises(ValueError):
        decode(18)


def test_world_module_does_not_import_pygame():
    code = "import sys, game.world, game.rules, game.bots, game.match; print('pygame' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ships_start_where_the_original_put_them():
    world = World(seed=1)
    assert (world.ships[0].x, world.ships[0].y) == (400.0, 300.0)
    assert (world.ships[1].x, world.ships[1].y) == (800.0, 300.0)
    assert all(s.heading == pytest.approx(-math.pi / 2) and s.lives == 3 for s in world.ships)


def test_bullet_leaves_the_nose_at_bullet_speed_and_lives_until_it_leaves_the_arena():
    world = empty_world()
    world.step((FIRE, IDLE))
    (bullet,) = world.bullets
    ship = world.ships[0]
    rules = world.rules
    # fired straight up from the nose, then moved one tick
    step = rules.bullet_speed_px_s / rules.tick_rate
    assert bullet.x == pytest.approx(400.0)
    assert bullet.y == pytest.approx(300.0 - rules.ship_radius_px - step)
    assert math.hypot(bullet.vx, bullet.vy) * rules.tick_rate == pytest.approx(rules.bullet_speed_px_s)
    ticks_alive = 1
    while world.bullets:
        world.step((IDLE, IDLE))
        ticks_alive += 1
    # it flew until it crossed y = 0: distance (300 - 18) at 1000/60 px a tick
    assert ticks_alive == math.floor((300.0 - rules.ship_radius_px) / step) + 1
    assert ship.shots == 1


def test_fire_cooldown_is_0_2_seconds():
    world = empty_world()
    fired_at = []
    for _ in range(60):
        events = world.step((FIRE, IDLE))
        fired_at += [world.tick for e in events if e.kind == "fire"]
    gap = world.rules.fire_cooldown_ticks
    assert gap == 12
    assert fired_at == list(range(1, 61, gap))


def test_turn_rate_and_thrust_limits():
    world = empty_world()
    rules = world.rules
    for _ in range(60):
        world.step((LEFT, IDLE))
    # one second of turning left: 4.5 rad counter-clockwise from straight up
    expected = (-math.pi / 2 - rules.ship_turn_rad_s) % (2 * math.pi)
    assert world.ships[0].heading == pytest.approx(expected)
    for _ in range(120):
        world.step((FORWARD, BACKWARD))
    assert world.ships[0].speed == pytest.approx(rules.ship_max_forward_px_s)
    assert world.ships[1].speed == pytest.approx(-rules.ship_max_reverse_px_s)
    # with no thrust the speed decays linearly: 350 px/s at 300 px/s^2 takes 70 ticks
    for _ in range(69):
        world.step((IDLE, IDLE))
    assert world.ships[0].speed > 0
    world.step((IDLE, IDLE))
    assert world.ships[0].speed == 0.0


def test_ships_are_kept_inside_the_arena():
    world = empty_world()
    for _ in range(600):
        world.step((FORWARD, encode(1, 2, False)))
        for s in world.ships:
            r = world.rules.ship_radius_px
            assert r <= s.x <= world.rules.arena_width_px - r
            assert r <= s.y <= world.rules.arena_height_px - r


def test_shot_asteroid_splits_in_two_smaller_ones_and_scores_ten():
    world = empty_world()
    put_asteroid(world, 400.0, 150.0, 80.0)
    while not any(e.kind == "asteroid_shot" for e in world.step((FIRE if world.tick == 0 else IDLE, IDLE))):
        assert world.tick < 30
    radii = sorted(a.radius for a in world.asteroids)
    assert radii == pytest.approx([80.0 / 1.5, 80.0 / 1.5])
    assert world.ships[0].score == 10 and world.ships[0].asteroids_shot == 1
    assert world.bullets == []


def test_smallest_asteroid_does_not_split():
    world = empty_world()
    smallest = 80.0 / 3.0 / 1.5  # 17.8 px: a further split would be under the 17 px minimum
    put_asteroid(world, 400.0, 150.0, smallest)
    for t in range(30):
        world.step((FIRE if t == 0 else IDLE, IDLE))
    assert world.asteroids == []
    assert world.ships[0].score == 10


def test_kill_scores_respawn_and_invulnerability_timing():
    world = empty_world()
    rules = world.rules
    victim, shooter = world.ships[1], world.ships[0]
    # put the victim straight above the shooter's nose
    victim.x, victim.y = 400.0, 100.0
    death_tick = None
    for _ in range(30):
        events = world.step((FIRE if world.tick == 0 else IDLE, IDLE))
        if any(e.kind == "ship_destroyed" for e in events):
            death_tick = world.tick
            break
    assert death_tick is not None
    assert (victim.alive, victim.lives, victim.score, shooter.score) == (False, 2, -50, 50)
    assert shooter.hits == 1
    # dead for exactly respawn_delay, back where it died, at rest
    for _ in range(rules.respawn_delay_ticks - 1):
        world.step((IDLE, IDLE))
        assert not victim.alive
    events = world.step((IDLE, IDLE))
    assert victim.alive and any(e.kind == "respawn" for e in events)
    assert world.tick == death_tick + rules.respawn_delay_ticks
    assert (victim.x, victim.y, victim.speed) == (400.0, 100.0, 0.0)
    # invulnerable for exactly invulnerable_s: an asteroid on top of it does nothing...
    put_asteroid(world, 400.0, 100.0, 40.0)
    for _ in range(rules.invulnerable_ticks - 1):
        world.step((IDLE, IDLE))
        assert victim.alive and victim.invulnerable > 0
    # ... until the invulnerability runs out
    world.step((IDLE, IDLE))
    assert victim.invulnerable == 0 and not victim.alive
    assert victim.lives == 1
    assert world.tick == death_tick + rules.respawn_delay_ticks + rules.invulnerable_ticks


def test_no_friendly_fire_and_ships_pass_through_each_other():
    world = empty_world()
    world.ships[1].x, world.ships[1].y = 400.0, 300.0  # on top of player 1
    for t in range(120):
        world.step((FIRE, FIRE))
    assert all(s.alive and s.lives == 3 for s in world.ships)


def test_last_life_lost_ends_the_match_and_names_the_winner():
    world = empty_world(lives=1)
    world.ships[1].x, world.ships[1].y = 400.0, 100.0
    events = []
    while not world.over:
        events = world.step((FIRE, IDLE))
        assert world.tick < 60
    assert world.winner == 0 and not world.timed_out
    assert events[-1].kind == "match_over" and events[-1].player == 0
    assert world.step((FIRE, IDLE)) == []  # an ended match stays ended


def test_both_out_on_the_same_tick_is_a_draw():
    world = empty_world(lives=1)
    put_asteroid(world, 400.0, 300.0, 30.0)
    put_asteroid(world, 800.0, 300.0, 30.0)
    world.step((IDLE, IDLE))
    assert world.over and world.winner is None and not world.timed_out


def test_time_limit_is_a_draw():
    world = World(Rules(time_limit_s=2.0, asteroid_start_count=0, asteroid_spawn_per_s=0.0), seed=0)
    while not world.over:
        world.step((IDLE, IDLE))
    assert world.tick == 120 and world.timed_out and world.winner is None


def run_random_match(seed: int, ticks: int) -> list:
    world = World(seed=seed)
    rng = np.random.default_rng(seed + 1000)
    snapshots = []
    for t in range(ticks):
        world.step(tuple(int(a) for a in rng.integers(0, NUM_ACTIONS, 2)))
        if t % 100 == 0:
            snapshots.append(world.snapshot())
        if world.over:
            world.reset(seed + t)
    snapshots.append(world.snapshot())
    return snapshots


def test_same_seed_same_actions_same_match():
    assert run_random_match(11, 5000) == run_random_match(11, 5000)
    assert run_random_match(11, 500) != run_random_match(12, 500)


def test_spawned_asteroids_have_the_original_sizes_and_start_near_an_edge():
    rules = Rules(asteroid_start_count=0, asteroid_max_count=10**6)
    world = World(rules, seed=3)
    counts = {}
    for _ in range(3000):
        world._spawn_asteroid()
    for a in world.asteroids:
        counts[a.radius] = counts.get(a.radius, 0) + 1
        edge_distance = min(a.x, a.y, rules.arena_width_px - a.x, rules.arena_height_px - a.y)
        assert 0.0 <= edge_distance <= rules.asteroid_spawn_edge_px + 1e-9
    total = sum(counts.values())
    assert set(counts) == set(rules.asteroid_spawn_radii_px)
    for radius, weight in zip(rules.asteroid_spawn_radii_px, rules.asteroid_spawn_weights):
        assert counts[radius] / total == pytest.approx(weight, abs=0.04)


@pytest.mark.parametrize("seed", range(12))
def test_random_matches_keep_their_invariants_and_end(seed):
    rules = Rules(time_limit_s=120.0)
    world = World(rules, seed=seed)
    rng = np.random.default_rng(seed)
    held = [0, 0]
    while not world.over:
        if world.tick % 30 == 0:
            held = [int(a) for a in rng.integers(0, NUM_ACTIONS, 2)]
        world.step(held)
        for s in world.ships:
            assert math.isfinite(s.x) and math.isfinite(s.y) and math.isfinite(s.heading)
            assert 0 <= s.lives <= rules.lives and s.cooldown >= 0 and s.invulnerable >= 0
            if s.alive:
                assert rules.ship_radius_px <= s.x <= rules.arena_width_px - rules.ship_radius_px
                assert rules.ship_radius_px <= s.y <= rules.arena_height_px - rules.ship_radius_px
        for b in world.bullets:
            assert 0 <= b.x <= rules.arena_width_px and 0 <= b.y <= rules.arena_height_px
        assert len(world.asteroids) <= rules.asteroid_max_count + 2  # a split may overshoot by one
        for a in world.asteroids:
            assert a.radius >= rules.asteroid_min_radius_px
            assert -a.radius <= a.x <= rules.arena_width_px + a.radius
        # the score is exactly what the statistics say it should be
        for s, other in ((world.ships[0], world.ships[1]), (world.ships[1], world.ships[0])):
            assert s.score == 10 * s.asteroids_shot + 50 * other.deaths - 50 * s.deaths
    assert world.tick <= rules.time_limit_ticks
    if world.winner is not None:
        assert world.ships[world.winner].lives > 0 and world.ships[1 - world.winner].lives == 0


def test_state_dict_restores_a_match_exactly_mid_flight():
    import json

    world = World(seed=8)
    rng = np.random.default_rng(8)
    actions = [tuple(int(a) for a in rng.integers(0, NUM_ACTIONS, 2)) for _ in range(1200)]
    for a in actions[:600]:
        world.step(a)
    saved = json.loads(json.dumps(world.state_dict()))  # it survives a trip through JSON
    twin = World(seed=0)
    twin.load_state_dict(saved)
    for a in actions[600:]:
        world.step(a)
        twin.step(a)
    assert world.snapshot() == twin.snapshot()
