"""The shapes of the game's things, as plain points: one home for both renderers.

The human's window (:mod:`game.render`) and the agent's frames (:mod:`game.observation`) draw the
same ships and bullet streaks from these functions; each maps the points onto its own surface
(scaled, mirrored or turned) and picks its own colours. Pure math: no pygame, no NumPy.

Every function returns points in the coordinates it was given, so a renderer can either pass
arena coordinates and map the result, or map the centre first and pass a radius in pixels.
"""

from __future__ import annotations

import math

from game.rules import Rules
from game.world import TAU, Bullet

Point = tuple[float, float]

GOLDEN = (1.0 + 5**0.5) / 2.0
FLAME_BASE = 0.8  # the flame's base corners sit this many ship radii behind the centre ...
FLAME_SPREAD_RAD = 0.5  # ... this far either side of straight back
FLAME_LENGTH = 1.5  # and its tip this many radii behind (times the flicker)


def pentagon(x: float, y: float, heading: float, radius: float) -> list[Point]:
    """The five corners of a regular pentagon centred at (x, y), the first at the nose."""
    return [
        (x + radius * math.cos(heading + k * TAU / 5), y + radius * math.sin(heading + k * TAU / 5))
        for k in range(5)
    ]


def ship_outline(x: float, y: float, heading: float, radius: float) -> list[Point]:
    """A ship: the pentagon around (x, y), nose first. Its nose line runs from (x, y) to the first corner."""
    return pentagon(x, y, heading, radius)


def bullet_streak(bullet: Bullet, rules: Rules) -> tuple[Point, Point]:
    """(tail, head) of a bullet's streak: ``bullet_length_px`` behind it along its flight."""
    streak = rules.bullet_length_px / (rules.bullet_speed_px_s * rules.dt_s)  # ticks of flight
    return (bullet.x - bullet.vx * streak, bullet.y - bullet.vy * streak), (bullet.x, bullet.y)


def flame(x: float, y: float, heading: float, radius: float, flicker: float = 1.0) -> list[Point]:
    """The thrust flame of a ship at (x, y): a triangle pointing backwards, ``flicker`` times as long."""
    back = heading + math.pi
    left, right = (
        (x + math.cos(back + d) * radius * FLAME_BASE, y + math.sin(back + d) * radius * FLAME_BASE)
        for d in (-FLAME_SPREAD_RAD, FLAME_SPREAD_RAD)
    )
    tip = (x + math.cos(back) * radius * FLAME_LENGTH * flicker, y + math.sin(back) * radius * FLAME_LENGTH * flicker)
    return [left, tip, right]


def shard_triangles(radius: float) -> list[list[Point]]:
    """The pentagon cut along its pentagram into 5 golden triangles and 5 golden gnomons.

    Coordinates are relative to the centre with the nose along +x. The inner pentagon of the
    pentagram has circumradius ``radius / GOLDEN**2`` and is turned half a step from the outer.
    """
    outer = pentagon(0.0, 0.0, 0.0, radius)
    inner = pentagon(0.0, 0.0, TAU / 10, radius / GOLDEN**2)
    shards = []
    for k in range(5):
        left, right = inner[(k - 1) % 5], inner[k]
        shards.append([outer[k], right, left])  # golden triangle: the star's point
        shards.append([outer[k], outer[(k + 1) % 5], right])  # golden gnomon between two points
    return shards
