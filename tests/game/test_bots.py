"""The scripted bots' styles do what their descriptions say."""

import math

from game.bots import CamperBot, IdleBot
from game.rules import Rules
from game.world import World


def test_the_camper_parks_in_the_corner_of_its_quarter_and_shoots_from_there():
    rules = Rules(asteroid_start_count=0, asteroid_spawn_per_s=0.0, time_limit_s=30.0)
    world = World(rules, seed=4)
    camper, target = CamperBot(), IdleBot()
    camper.reset(1)
    target.reset(2)
    # it starts at (800, 300), on the middle line: the lower right quarter's corner
    corner = (rules.arena_width_px - CamperBot.corner_inset_px, rules.arena_height_px - CamperBot.corner_inset_px)
    distances, shots_at_start = [], 0
    for tick in range(rules.ticks(12.0)):
        if tick == rules.ticks(5.0):
            shots_at_start = world.ships[1].shots
        world.step((target.act(world, 0), camper.act(world, 1)))
        if world.over:
            break
        if tick >= rules.ticks(5.0):
            distances.append(math.hypot(world.ships[1].x - corner[0], world.ships[1].y - corner[1]))
    # there within 5 s, and it stays there (within 60 px) while it shoots at a still target
    assert distances and max(distances) < 60.0
    assert world.ships[1].shots > shots_at_start
    assert world.ships[0].lives < rules.lives  # ... and hits it from the corner
