"""Drawing a world onto any pygame Surface at any scale, as a person sees it.

- :class:`WorldRenderer` draws what a person sees: the slate-gray arena, pentagon ships (blinking
  at 40 % opacity while invulnerable, a flame while thrusting), bullet streaks, asteroid outlines,
  the golden-triangle shard explosion of a destroyed ship and asteroid dust (:class:`Effects`).
- :class:`game.observation.ObservationRenderer` draws the same scene as the agent sees it: small,
  grayscale, uint8, from one player's point of view (see its docstring).

Both take the shapes of ships, bullet streaks, the flame and the shards from :mod:`game.geometry`.

Decoration never touches the simulation's random stream: asteroid outlines are generated from
each asteroid's ``shape_seed`` by a private generator, shards are a pure function of the time
since the death, and dust particles draw from the :class:`Effects` object's own generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pygame

from game.actions import THRUST_OF
from game.geometry import bullet_streak, flame, shard_triangles, ship_outline
from game.world import TAU, Asteroid, Event, Ship, World

Color = tuple[int, int, int]

BACKGROUND: Color = (47, 79, 79)  # dark slate gray, as the original
PLAYER_COLORS: tuple[Color, Color] = ((120, 200, 255), (255, 180, 80))
BULLET_COLORS: tuple[Color, Color] = ((190, 235, 255), (255, 225, 160))
ASTEROID_COLOR: Color = (200, 200, 190)
DUST_COLOR: Color = (220, 210, 180)
FLAME_COLOR: Color = (255, 120, 40)

SHARD_FLIGHT_PX = 80.0  # shards fly this far outwards ...
SHARD_LIFE_S = 2.0  # ... over this long, then vanish
INVULNERABLE_ALPHA = 102  # 40 % opacity
BLINK_TICKS = 6  # invulnerable ships blink with this half-period


def asteroid_outline(shape_seed: int, vertices: int = 11) -> np.ndarray:
    """A lumpy unit-radius outline (vertices x 2), the same for the same seed."""
    rng = np.random.default_rng(shape_seed)  # private stream: decoration only
    angles = np.linspace(0.0, TAU, vertices, endpoint=False) + rng.uniform(-0.2, 0.2, vertices)
    radii = rng.uniform(0.78, 1.08, vertices)
    return np.stack([np.cos(angles) * radii, np.sin(angles) * radii], axis=1)


@dataclass
class Particle:
    x: float
    y: float
    vx: float  # px/s
    vy: float
    born_tick: int
    life_ticks: int


class Effects:
    """Asteroid dust bursts: made from events, aged by ticks, removed when they fade out.

    Owns its own generator, so effects never change the match. At most ``max_particles``
    live at once; the oldest make way for new ones.
    """

    def __init__(self, seed: int | None = 0, max_particles: int = 400) -> None:
        self.rng = np.random.default_rng(seed)
        self.max_particles = max_particles
        self.particles: list[Particle] = []

    def clear(self) -> None:
        self.particles.clear()

    def update(self, world: World, events: list[Event]) -> None:
        """Add bursts for this tick's events and drop the particles that have faded."""
        for event in events:
            if event.kind == "asteroid_shot":
                count = int(6 + event.radius / 5)
                angles = self.rng.uniform(0.0, TAU, count)
                speeds = self.rng.uniform(30.0, 110.0, count)
                lives = self.rng.integers(world.rules.ticks(0.4), world.rules.ticks(0.9), count)
                for a, s, life in zip(angles, speeds, lives):
                    self.particles.append(
                        Particle(event.x, event.y, math.cos(a) * s, math.sin(a) * s, world.tick, int(life))
                    )
        tick = world.tick
        self.particles = [p for p in self.particles if tick - p.born_tick < p.life_ticks]
        if len(self.particles) > self.max_particles:
            del self.particles[: len(self.particles) - self.max_particles]


class WorldRenderer:
    """Draws the arena as a person sees it. ``draw`` fills ``target`` (a Surface or subsurface).

    The world is scaled uniformly to fit the target's size, so the same code draws the
    1200 x 600 window, a thumbnail, or a screenshot.
    """

    def __init__(self) -> None:
        self._outlines: dict[int, np.ndarray] = {}
        self._shards: dict[float, list] = {}

    def draw(self, target: pygame.Surface, world: World, effects: Effects | None = None) -> None:
        rules = world.rules
        scale = min(target.get_width() / rules.arena_width_px, target.get_height() / rules.arena_height_px)
        target.fill(BACKGROUND)
        tick = world.tick
        line = max(1, round(2 * scale))

        for a in world.asteroids:
            pygame.draw.polygon(target, ASTEROID_COLOR, self._asteroid_points(a, tick, scale), line)

        if effects is not None:
            for p in effects.particles:
                age = (tick - p.born_tick) / rules.tick_rate
                fade = 1.0 - (tick - p.born_tick) / p.life_ticks
                color = tuple(int(BACKGROUND[i] + (DUST_COLOR[i] - BACKGROUND[i]) * fade) for i in range(3))
                pos = ((p.x + p.vx * age) * scale, (p.y + p.vy * age) * scale)
                pygame.draw.circle(target, color, pos, max(1.0, 1.5 * scale))

        for b in world.bullets:
            (tx, ty), (hx, hy) = bullet_streak(b, rules)
            pygame.draw.line(target, BULLET_COLORS[b.owner], (tx * scale, ty * scale), (hx * scale, hy * scale), line)

        for ship in world.ships:
            if ship.alive:
                self._draw_ship(target, ship, world, scale)
            elif ship.died_tick >= 0:
                self._draw_shards(target, ship, world, scale)

    def _asteroid_points(self, a: Asteroid, tick: int, scale: float) -> list[tuple[float, float]]:
        outline = self._outlines.get(a.shape_seed)
        if outline is None:
            if len(self._outlines) > 512:  # asteroids come and go; keep the cache bounded
                self._outlines.clear()
            outline = self._outlines[a.shape_seed] = asteroid_outline(a.shape_seed)
        angle = a.angle_at(tick)
        c, s = math.cos(angle), math.sin(angle)
        r = a.radius
        return [((a.x + r * (c * u - s * v)) * scale, (a.y + r * (s * u + c * v)) * scale) for u, v in outline]

    def _draw_ship(self, target: pygame.Surface, ship: Ship, world: World, scale: float) -> None:
        rules = world.rules
        radius = rules.ship_radius_px
        color = PLAYER_COLORS[ship.player]
        if ship.invulnerable and (ship.invulnerable // BLINK_TICKS) % 2 == 0:
            # drawn at 40 % opacity: on a small transparent surface blitted on top
            size = int(2 * radius * scale) + 4
            layer = pygame.Surface((size, size), pygame.SRCALPHA)
            points = ship_outline(size / 2, size / 2, ship.heading, radius * scale)
            pygame.draw.polygon(layer, (*color, INVULNERABLE_ALPHA), points)
            target.blit(layer, (ship.x * scale - size / 2, ship.y * scale - size / 2))
            return
        points = [(x * scale, y * scale) for x, y in ship_outline(ship.x, ship.y, ship.heading, radius)]
        if THRUST_OF[ship.last_action] == 1 and ship.speed > 0:
            flicker = 1.0 + 0.25 * ((world.tick // 2) % 2)
            triangle = flame(ship.x, ship.y, ship.heading, radius, flicker)
            pygame.draw.polygon(target, FLAME_COLOR, [(x * scale, y * scale) for x, y in triangle])
        pygame.draw.polygon(target, color, points)
        nose = points[0]
        center = (ship.x * scale, ship.y * scale)
        pygame.draw.line(target, BACKGROUND, center, nose, max(1, round(2 * scale)))

    def _draw_shards(self, target: pygame.Surface, ship: Ship, world: World, scale: float) -> None:
        age = (world.tick - ship.died_tick) / world.rules.tick_rate
        if age >= SHARD_LIFE_S:
            return
        radius = world.rules.ship_radius_px
        shards = self._shards.get(radius)
        if shards is None:
            shards = self._shards[radius] = shard_triangles(radius)
        progress = age / SHARD_LIFE_S
        travel = SHARD_FLIGHT_PX * (1.0 - (1.0 - progress) ** 2)  # fast at first, then slowing
        fade = 1.0 - progress
        color = tuple(int(BACKGROUND[i] + (PLAYER_COLORS[ship.player][i] - BACKGROUND[i]) * fade) for i in range(3))
        c0, s0 = math.cos(ship.heading), math.sin(ship.heading)
        for k, triangle in enumerate(shards):
            cx = sum(p[0] for p in triangle) / 3
            cy = sum(p[1] for p in triangle) / 3
            norm = math.hypot(cx, cy) or 1.0
            spin = (1 if k % 2 else -1) * 3.0 * age  # each shard tumbles as it flies
            cs, ss = math.cos(spin), math.sin(spin)
            points = []
            for px, py in triangle:
                # tumble about the shard's centre, push outwards, then turn with the ship
                lx, ly = px - cx, py - cy
                lx, ly = lx * cs - ly * ss, lx * ss + ly * cs
                lx += cx + cx / norm * travel
                ly += cy + cy / norm * travel
                wx = ship.x + lx * c0 - ly * s0
                wy = ship.y + lx * s0 + ly * c0
                points.append((wx * scale, wy * scale))
            pygame.draw.polygon(target, color, points)
