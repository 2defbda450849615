"""A pilot's style card: where it flies, how it shoots, how it dies.

``style_card(make_subject, make_opponent, matches, seed)`` plays ``matches`` whole matches (the
subject on the left in even matches, on the right in odd ones, seeded like ``eval``'s series)
and measures, over the subject's *living* time:

- ``near_wall``: share of time with the ship's centre within 60 px of a wall (a ship placed at
  random anywhere in the 1200 x 600 arena: 28 %);
- ``near_corner``: share within 100 px of a corner (at random: 4.4 %);
- ``shots_per_minute`` and ``accuracy`` (enemy ships destroyed by its bullets / shots fired;
  ``hit_rate`` also counts asteroids hit);
- ``mean_distance``: mean distance to the opponent while both are alive;
- ``asteroid_death_share``: share of its deaths caused by asteroids (the rest: bullets);
- a heat map: seconds spent in each 20 x 20 px cell of the arena.

Pure simulation: nothing here draws (``heat_map_png`` imports pygame when called).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from game.controllers import Controller
from game.rules import DEFAULT_RULES, Rules
from game.seeding import match_seeds
from game.world import World

WALL_PX = 60.0
CORNER_PX = 100.0
CELL_PX = 20


@dataclass
class StyleCard:
    """What :func:`style_card` measured; ``as_dict`` is its JSON form (without the heat map)."""

    matches: int
    living_s: float
    near_wall: float
    near_corner: float
    shots_per_minute: float
    accuracy: float
    hit_rate: float
    mean_distance: float
    deaths: int
    asteroid_deaths: int
    score: float  # the subject's score in these matches (wins + draws / 2)
    heat: np.ndarray = field(repr=False)  # seconds per cell, shape (rows, columns)

    @property
    def asteroid_death_share(self) -> float:
        return self.asteroid_deaths / self.deaths if self.deaths else 0.0

    def as_dict(self) -> dict:
        return {
            "matches": self.matches, "living_s": round(self.living_s, 1), "score": self.score,
            "near_wall": round(self.near_wall, 3), "near_corner": round(self.near_corner, 3),
            "shots_per_minute": round(self.shots_per_minute, 1), "accuracy": round(self.accuracy, 4),
            "hit_rate": round(self.hit_rate, 4), "mean_distance": round(self.mean_distance, 1),
            "deaths": self.deaths, "asteroid_deaths": self.asteroid_deaths,
            "asteroid_death_share": round(self.asteroid_death_share, 3),
        }


def random_placement_shares(rules: Rules = DEFAULT_RULES) -> tuple[float, float]:
    """(near_wall, near_corner) of a point drawn uniformly from the arena, for comparison."""
    w, h = rules.arena_width_px, rules.arena_height_px
    wall = 1.0 - (w - 2 * WALL_PX) * (h - 2 * WALL_PX) / (w * h)
    corner = math.pi * CORNER_PX**2 / (w * h)  # four quarter discs
    return wall, corner


def style_card(
    make_subject: Callable[[], Controller],
    make_opponent: Callable[[], Controller],
    matches: int,
    seed: int,
    rules: Rules = DEFAULT_RULES,
) -> StyleCard:
    """Play the matches and measure the subject's style (see the module docstring)."""
    w, h = rules.arena_width_px, rules.arena_height_px
    heat = np.zeros((math.ceil(h / CELL_PX), math.ceil(w / CELL_PX)))
    corners = np.array([(0.0, 0.0), (w, 0.0), (0.0, h), (w, h)])
    alive_ticks = wall_ticks = corner_ticks = 0
    distance_sum, distance_ticks = 0.0, 0
    shots = hits = asteroid_hits = deaths = asteroid_deaths = 0
    points = 0.0
    subject, opponent = make_subject(), make_opponent()
    for i in range(matches):
        side = i % 2
        world_seed, seed0, seed1 = match_seeds(seed, i)
        world = World(rules, seed=world_seed)
        pair = (subject, opponent) if side == 0 else (opponent, subject)
        pair[0].reset(seed0)
        pair[1].reset(seed1)
        me, foe = world.ships[side], world.ships[1 - side]
        while not world.over:
            events = world.step((pair[0].act(world, 0), pair[1].act(world, 1)))
            for event in events:
                if event.kind == "ship_destroyed" and event.player == side:
                    deaths += 1
                    asteroid_deaths += event.cause == "asteroid"
            if not me.alive:
                continue
            alive_ticks += 1
            heat[min(int(me.y // CELL_PX), heat.shape[0] - 1), min(int(me.x // CELL_PX), heat.shape[1] - 1)] += 1
            wall_ticks += min(me.x, me.y, w - me.x, h - me.y) < WALL_PX
            corner_ticks += bool(np.min(np.hypot(corners[:, 0] - me.x, corners[:, 1] - me.y)) < CORNER_PX)
            if foe.alive:
                distance_sum += math.hypot(foe.x - me.x, foe.y - me.y)
                distance_ticks += 1
        shots += me.shots
        hits += me.hits
        asteroid_hits += me.asteroids_shot
        points += 0.5 if world.winner is None else float(world.winner == side)
    living_s = alive_ticks / rules.tick_rate
    return StyleCard(
        matches=matches,
        living_s=living_s,
        near_wall=wall_ticks / max(alive_ticks, 1),
        near_corner=corner_ticks / max(alive_ticks, 1),
        shots_per_minute=shots / max(living_s / 60.0, 1e-9),
        accuracy=hits / max(shots, 1),
        hit_rate=(hits + asteroid_hits) / max(shots, 1),
        mean_distance=distance_sum / max(distance_ticks, 1),
        deaths=deaths,
        asteroid_deaths=asteroid_deaths,
        score=points / max(matches, 1),
        heat=heat / rules.tick_rate,
    )


def heat_map_png(card: StyleCard, path: Path, title: str, scale: int = 1) -> None:
    """Save the heat map as a PNG: the arena at ``scale`` x its size, dark to bright by time spent."""
    import pygame

    cells = card.heat
    level = np.sqrt(cells / cells.max()) if cells.max() > 0 else cells  # square root: rare places still show
    # a black -> blue -> orange -> white ramp
    ramp = np.array([(10, 12, 24), (40, 70, 170), (240, 140, 40), (255, 250, 235)], float)
    x = level * (len(ramp) - 1)
    lo = np.clip(np.floor(x).astype(int), 0, len(ramp) - 2)
    frac = (x - lo)[..., None]
    rgb = (ramp[lo] * (1 - frac) + ramp[lo + 1] * frac).astype(np.uint8)
    cell = CELL_PX * scale
    image = np.repeat(np.repeat(rgb, cell, axis=0), cell, axis=1)  # (H, W, 3)
    pygame.font.init()
    surface = pygame.surfarray.make_surface(image.swapaxes(0, 1))
    band = 34
    out = pygame.Surface((surface.get_width(), surface.get_height() + band))
    out.fill((18, 18, 28))
    out.blit(surface, (0, band))
    pygame.draw.rect(out, (90, 90, 110), (0, band, surface.get_width(), surface.get_height()), 1)
    font = pygame.font.Font(None, 24)
    text = (f"{title}   near walls {card.near_wall:.0%}   near corners {card.near_corner:.0%}   "
            f"{card.shots_per_minute:.0f} shots/min   accuracy {card.accuracy:.1%}   "
            f"mean distance {card.mean_distance:.0f} px")
    out.blit(font.render(text, True, (230, 230, 240)), (8, 9))
    path.parent.mkdir(parents=True, exist_ok=True)
    pygame.image.save(out, str(path))
