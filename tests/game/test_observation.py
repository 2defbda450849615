"""The agent's view: every object is visible, headings are readable, both sides see alike."""

import math

import numpy as np
import pytest

from game import observation as obs
from game.observation import ObservationConfig, ObservationRenderer
from game.rules import Rules
from game.world import World

RULES = Rules(asteroid_start_count=0, asteroid_spawn_per_s=0.0)
CONFIG = ObservationConfig()


def bare_world() -> World:
    return World(RULES, seed=0)


def pixel_of(x: float, y: float, config: ObservationConfig = CONFIG) -> tuple[int, int]:
    """(row, column) of the arena point (x, y) in a frame."""
    scale = config.height / RULES.arena_height_px
    return int(y * scale), int(x * scale)


def test_frame_is_small_gray_uint8_with_the_arena_aspect():
    frame = ObservationRenderer().draw(bare_world(), 0)[0]
    assert frame.dtype == np.uint8 and frame.shape == (CONFIG.height + CONFIG.margin, CONFIG.width + CONFIG.margin)
    assert CONFIG.width == 2 * CONFIG.height
    with pytest.raises(ValueError):
        ObservationConfig(width=75, height=75)


def test_own_and_opponent_ships_are_told_apart():
    world = bare_world()
    renderer = ObservationRenderer()
    for player in (0, 1):
        frame = renderer.draw(world, player)[0]
        own_x = 400.0 if player == 0 else 1200 - 800.0  # player 2 sees itself mirrored, on the left
        assert frame[pixel_of(own_x - 8, 300)] == obs.OWN_SHIP
        assert frame[pixel_of(1200 - own_x + 8, 300)] == obs.OPPONENT_SHIP  # its tail: it faces left


def test_smallest_asteroid_and_a_bullet_are_visible():
    world = bare_world()
    a = world._new_asteroid(900.0, 450.0, 80.0 / 3.0 / 1.5, 0.0)  # the smallest size in play
    world.asteroids.append(a)
    world.ships[1].alive = False
    world.ships[0].heading = 0.0  # pointing right, along y = 300
    world.step((1, 0))  # fire
    world.step((0, 0))
    frame = ObservationRenderer(ObservationConfig(sight_px=0)).draw(world, 0)[0]
    rows, cols = np.nonzero(frame == obs.ASTEROID)
    assert len(rows) >= 4
    assert abs(rows.mean() - pixel_of(900, 450)[0]) <= 1 and abs(cols.mean() - pixel_of(900, 450)[1]) <= 1
    (bullet,) = world.bullets
    rows, cols = np.nonzero(frame == obs.OWN_BULLET)
    assert len(rows) >= 1
    assert abs(rows.mean() - pixel_of(bullet.x, bullet.y)[0]) <= 1.5
    assert abs(cols.mean() - pixel_of(bullet.x, bullet.y)[1]) <= 1.5


def estimate_heading(frame: np.ndarray) -> float:
    """Heading read off a frame: from the own ship's centroid to the centroid of its sight line."""
    ship_r, ship_c = np.nonzero(frame == obs.OWN_SHIP)
    line_r, line_c = np.nonzero(frame == obs.OWN_SIGHT)
    return math.atan2(line_r.mean() - ship_r.mean(), line_c.mean() - ship_c.mean())


def test_heading_can_be_read_to_within_a_few_degrees():
    world = bare_world()
    world.ships[1].alive = False
    renderer = ObservationRenderer()
    errors = []
    rng = np.random.default_rng(0)
    for heading in rng.uniform(0, 2 * math.pi, 200):
        ship = world.ships[0]
        ship.x, ship.y = rng.uniform(450, 750), rng.uniform(250, 350)
        ship.heading = heading
        estimate = estimate_heading(renderer.draw(world, 0)[0])
        errors.append(abs((estimate - heading + math.pi) % (2 * math.pi) - math.pi))
    errors = np.degrees(errors)
    # measured at 96 x 48: mean 1.1, p95 2.7, max 4.2 degrees
    assert np.mean(errors) < 1.5 and np.percentile(errors, 95) < 3.5 and np.max(errors) < 6.0, errors


def test_without_the_sight_line_heading_is_not_readable_this_well():
    """The check above can fail: a pentagon of a few pixels alone is much vaguer."""
    world = bare_world()
    world.ships[1].alive = False
    renderer = ObservationRenderer(ObservationConfig(sight_px=0))
    errors = []
    rng = np.random.default_rng(1)
    for heading in rng.uniform(0, 2 * math.pi, 100):
        world.ships[0].heading = heading
        frame = renderer.draw(world, 0)[0]
        ship_r, ship_c = np.nonzero(frame == obs.OWN_SHIP)
        nose_r, nose_c = np.nonzero(frame == obs.OWN_SIGHT)
        if len(nose_r) == 0:
            errors.append(180.0)
            continue
        estimate = math.atan2(nose_r.mean() - ship_r.mean(), nose_c.mean() - ship_c.mean())
        errors.append(math.degrees(abs((estimate - heading + math.pi) % (2 * math.pi) - math.pi)))
    assert np.max(errors) > 4.0


def mirrored(world: World) -> World:
    """The mirror image of ``world``, with the players' roles swapped."""
    twin = World(world.rules, seed=0)
    twin.asteroids = []
    w = world.rules.arena_width_px
    for src, dst in zip(world.ships, reversed(twin.ships)):
        dst.x, dst.y, dst.heading = w - src.x, src.y, (math.pi - src.heading) % (2 * math.pi)
        dst.alive, dst.invulnerable = src.alive, src.invulnerable
    for a in world.asteroids:
        twin.asteroids.append(twin._new_asteroid(w - a.x, a.y, a.radius, 0.0))
    for b in world.bullets:
        from game.world import Bullet

        twin.bullets.append(Bullet(1 - b.owner, w - b.x, b.y, -b.vx, b.vy))
    return twin


def test_mirror_image_situations_look_the_same_from_either_side():
    world = World(Rules(), seed=5)
    rng = np.random.default_rng(2)
    for _ in range(50):
        world.step(tuple(int(a) for a in rng.integers(0, 18, 2)))
    twin = mirrored(world)
    renderer = ObservationRenderer(ObservationConfig(ego_view=True))
    seen_by_0 = renderer.draw(world, 0).copy()
    seen_by_1_in_twin = renderer.draw(twin, 1).copy()
    differing = np.count_nonzero(seen_by_0 != seen_by_1_in_twin)
    assert differing <= 8, differing  # only rounding at exact pixel boundaries may differ
    assert np.count_nonzero(seen_by_0[0] == obs.OWN_SHIP) > 0


def test_ego_view_turns_with_the_own_ship():
    """The own ship sits in the middle with its nose to the right; ahead is to the right."""
    config = ObservationConfig(ego_view=True)
    world = bare_world()
    me, foe = world.ships
    renderer = ObservationRenderer(config)
    for heading in np.linspace(0, 2 * math.pi, 13):
        me.x, me.y, me.heading = 600.0, 300.0, heading
        foe.x, foe.y = me.x + 300 * math.cos(heading), me.y + 300 * math.sin(heading)  # dead ahead
        arena, ego = renderer.draw(world, 0)
        # pixel i covers [i, i + 1): a blob's centre is its mean index + 0.5
        rows, cols = np.nonzero(ego == obs.OPPONENT_SHIP)
        scale = config.width / config.ego_span_px
        assert abs(rows.mean() + 0.5 - config.height / 2) <= 1.0
        assert abs(cols.mean() + 0.5 - (config.width / 2 + 300 * scale)) <= 1.0
        rows, cols = np.nonzero(ego == obs.OWN_SHIP)
        assert abs(rows.mean() + 0.5 - config.height / 2) <= 1.0
        assert abs(cols.mean() + 0.5 - config.width / 2) <= 1.5
    # off to the ship's left (counter-clockwise on screen) shows above the middle line
    me.heading = 0.0
    foe.x, foe.y = 800.0, 200.0
    _, ego = renderer.draw(world, 0)
    rows, _ = np.nonzero(ego == obs.OPPONENT_SHIP)
    assert rows.mean() < config.height / 2 - 3


# --- the shared geometry draws exactly the frames the agent was trained on -------------------
def reference_scene(renderer, layer, world, player, point, angle, scale, sight_px, own_sight) -> None:
    """The observation's scene as it was drawn before the ship and bullet shapes moved to
    :mod:`game.geometry`, its own pentagon and streak written out: every pixel must stay."""
    import pygame

    def pentagon(x, y, heading, radius):
        return [(x + radius * math.cos(heading + k * math.tau / 5), y + radius * math.sin(heading + k * math.tau / 5))
                for k in range(5)]

    cfg, rules = renderer.config, world.rules
    surface = renderer._surfaces[layer]
    renderer._pixels[layer].fill(obs.BACKGROUND)
    for a in world.asteroids:
        pygame.draw.circle(surface, obs.ASTEROID, point(a.x, a.y), max(a.radius * scale, 1.0))
    if sight_px > 0:
        for ship in world.ships:
            if ship.alive and (own_sight or ship.player != player):
                color = obs.OWN_SIGHT if ship.player == player else obs.OPPONENT_SIGHT
                end = point(ship.x + math.cos(ship.heading) * sight_px, ship.y + math.sin(ship.heading) * sight_px)
                pygame.draw.line(surface, color, point(ship.x, ship.y), end)
    streak = rules.bullet_length_px / (rules.bullet_speed_px_s * rules.dt_s)
    for b in world.bullets:
        color = obs.OWN_BULLET if b.owner == player else obs.OPPONENT_BULLET
        pygame.draw.line(surface, color, point(b.x - b.vx * streak, b.y - b.vy * streak), point(b.x, b.y))
    radius = rules.ship_radius_px * cfg.ship_scale * scale
    for ship in world.ships:
        if not ship.alive:
            continue
        own = ship.player == player
        if ship.invulnerable:
            color = obs.OWN_SHIP_INVULNERABLE if own else obs.OPPONENT_SHIP_INVULNERABLE
        else:
            color = obs.OWN_SHIP if own else obs.OPPONENT_SHIP
        cx, cy = point(ship.x, ship.y)
        corners = pentagon(cx, cy, angle(ship.heading), max(radius, 1.5))
        pygame.draw.polygon(surface, color, corners)
        pygame.draw.line(surface, obs.OWN_SIGHT if own else obs.OPPONENT_SIGHT, (cx, cy), corners[0])


class ReferenceRenderer(ObservationRenderer):
    _draw_scene = reference_scene


@pytest.mark.parametrize("config", [ObservationConfig(), ObservationConfig(width=64, height=32, ship_scale=1.0)])
def test_frames_are_the_same_to_the_pixel_as_the_reference_drawing(config):
    from game.bots import BOTS

    renderer, reference = ObservationRenderer(config), ReferenceRenderer(config)
    frames = 0
    for seed in range(12):
        world = World(seed=seed)
        bots = (BOTS["aimbot"](), BOTS["random"]())
        for player, bot in enumerate(bots):
            bot.reset(seed * 2 + player)
        while not world.over and world.tick < 900:
            world.step((bots[0].act(world, 0), bots[1].act(world, 1)))
            if world.tick % 7 == 0:
                for player in (0, 1):
                    assert np.array_equal(renderer.draw(world, player), reference.draw(world, player))
                    frames += 1
    assert frames > 1000
