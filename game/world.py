"""The simulation of one match: state plus ``step(actions) -> events``. No pygame here.

One call to :meth:`World.step` advances the match by one fixed tick of ``1 / rules.tick_rate``
seconds from the two players' actions (see :mod:`game.actions`). Every timer counts ticks; all
randomness comes from ``World.rng``, one ``numpy.random.Generator`` seeded by :meth:`World.reset`,
so the same seed and the same actions give the same match, tick for tick.

Order of one tick:
1. ships act (turn, thrust, fire) and move; they are kept inside the arena;
2. bullets and asteroids move; bullets and asteroids that left the arena are removed;
3. collisions: bullet -> opponent ship, bullet -> asteroid, asteroid -> ship;
4. dead ships count down to respawn (a ship's invulnerability counts down as it acts, step 1);
5. the spawner may add an asteroid near an edge;
6. the match ends when a player has no lives left (the other wins, or a draw if both went out on
   the same tick) or when the time limit is reached (a draw).

Coordinates are screen pixels: x to the right, y downwards; a heading ``h`` points along
``(cos h, sin h)``, so ``-pi/2`` is up and turning left decreases ``h``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from game.actions import FIRE_OF, THRUST_OF, TURN_OF
from game.rules import DEFAULT_RULES, Rules

TAU = 2.0 * math.pi


@dataclass(slots=True)
class Ship:
    """One player's ship, alive or waiting to respawn."""

    player: int  # 0 or 1
    x: float
    y: float
    heading: float  # radians, see module docstring
    speed: float = 0.0  # px/s along the heading, negative when reversing
    alive: bool = True
    lives: int = 3
    score: int = 0
    cooldown: int = 0  # ticks until the gun can fire again
    invulnerable: int = 0  # ticks of invulnerability left
    respawn_in: int = 0  # ticks until respawn while dead
    died_tick: int = -1  # tick of the last death (for the shard explosion), -1 if never
    last_action: int = 0  # the action of the latest tick (the renderer draws the thrust flame)
    # match statistics
    shots: int = 0
    hits: int = 0  # opponent ships destroyed by this ship's bullets
    asteroids_shot: int = 0
    deaths: int = 0

    @property
    def vx(self) -> float:
        return math.cos(self.heading) * self.speed

    @property
    def vy(self) -> float:
        return math.sin(self.heading) * self.speed

    @property
    def can_be_hit(self) -> bool:
        return self.alive and self.invulnerable == 0


@dataclass(slots=True)
class Bullet:
    owner: int
    x: float
    y: float
    vx: float  # px per tick
    vy: float  # px per tick


@dataclass(slots=True)
class Asteroid:
    x: float
    y: float
    radius: float
    heading: float  # drift direction, radians
    target_heading: float  # the heading it slowly turns towards
    retarget_tick: int  # when a new target heading is drawn
    vx: float  # px per tick, kept in step with the heading
    vy: float
    born_tick: int  # the drawn shape turns with the match time: see angle_at()
    angle0: float  # rotation of the drawn shape at born_tick, radians
    spin: float  # rad per tick, signed
    shape_seed: int  # seeds the drawn outline (decoration only, never the simulation)

    def angle_at(self, tick: int) -> float:
        """Rotation of the drawn outline at ``tick`` (spin is decoration, so it is not stepped)."""
        return (self.angle0 + self.spin * (tick - self.born_tick)) % TAU


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened during a tick, for sounds, effects, rewards and statistics.

    ``kind`` is one of ``"fire"``, ``"asteroid_shot"`` (``player`` shot it; ``radius`` its size),
    ``"ship_destroyed"`` (``player`` died; ``cause`` ``"bullet"`` or ``"asteroid"``),
    ``"respawn"``, ``"match_over"`` (``player`` is the winner, or -1 for a draw).
    """

    kind: str
    player: int
    x: float = 0.0
    y: float = 0.0
    radius: float = 0.0
    cause: str = ""


@dataclass
class World:
    """A match between two ships. Create, :meth:`reset` with a seed, then :meth:`step` per tick."""

    rules: Rules = DEFAULT_RULES
    seed: int | None = None
    rng: np.random.Generator = field(init=False, repr=False)
    tick: int = field(init=False, default=0)
    ships: tuple[Ship, Ship] = field(init=False, repr=False)
    bullets: list[Bullet] = field(init=False, default_factory=list, repr=False)
    asteroids: list[Asteroid] = field(init=False, default_factory=list, repr=False)
    over: bool = field(init=False, default=False)
    winner: int | None = field(init=False, default=None)  # 0, 1, or None (draw / not over)
    timed_out: bool = field(init=False, default=False)  # over because the time limit was reached

    def __post_init__(self) -> None:
        self.reset(self.seed)

    # ------------------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Start a new match; ``seed`` fixes every random draw of the match (None: fresh entropy)."""
        r = self.rules
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.tick = 0
        self.over = False
        self.winner = None
        self.timed_out = False
        self.ships = tuple(
            Ship(player=p, x=x, y=y, heading=r.ship_start_heading_rad, lives=r.lives)
            for p, (x, y) in enumerate(r.ship_starts_px)
        )  # type: ignore[assignment]
        self.bullets = []
        self.asteroids = []
        for _ in range(r.asteroid_start_count):
            self._spawn_asteroid()

    @property
    def time_s(self) -> float:
        """Match time in seconds, from the tick count."""
        return self.tick / self.rules.tick_rate

    @property
    def time_left_s(self) -> float:
        return max(0.0, (self.rules.time_limit_ticks - self.tick) / self.rules.tick_rate)

    # ------------------------------------------------------------------------------------
    def step(self, actions: tuple[int, int] | list[int]) -> list[Event]:
        """Advance one tick with player 0's and player 1's actions; returns what happened.

        Once the match is over, further steps change nothing and return no events.
        """
        if self.over:
            return []
        r = self.rules
        events: list[Event] = []
        self.tick += 1
        for ship, action in zip(self.ships, actions):
            self._update_ship(ship, int(action), events)
        self._move_bullets()
        self._move_asteroids()
        self._collide(events)
        self._tick_timers(events)
        if (
            len(self.asteroids) < r.asteroid_max_count
            and self.rng.random() < r.asteroid_spawn_chance_per_tick
        ):
            self._spawn_asteroid()
        self._check_end(events)
        return events

    # ------------------------------------------------------------------------------------
    def _update_ship(self, ship: Ship, action: int, events: list[Event]) -> None:
        if not ship.alive:
            return
        if ship.invulnerable > 0:
            ship.invulnerable -= 1
        r = self.rules
        dt = r.dt_s
        ship.last_action = action
        turn = TURN_OF[action]
        if turn == 1:
            ship.heading = (ship.heading - r.ship_turn_rad_s * dt) % TAU
        elif turn == 2:
            ship.heading = (ship.heading + r.ship_turn_rad_s * dt) % TAU
        thrust = THRUST_OF[action]
        speed = ship.speed
        if thrust == 1:
            speed = min(speed + r.ship_thrust_px_s2 * dt, r.ship_max_forward_px_s)
        elif thrust == 2:
            speed = max(speed - r.ship_thrust_px_s2 * dt, -r.ship_max_reverse_px_s)
        elif speed > 0.0:
            speed = max(0.0, speed - r.ship_drag_px_s2 * dt)
        elif speed < 0.0:
            speed = min(0.0, speed + r.ship_drag_px_s2 * dt)
        ship.speed = speed
        cos_h = math.cos(ship.heading)
        sin_h = math.sin(ship.heading)
        rad = r.ship_radius_px
        ship.x = min(max(ship.x + cos_h * speed * dt, rad), r.arena_width_px - rad)
        ship.y = min(max(ship.y + sin_h * speed * dt, rad), r.arena_height_px - rad)

        if ship.cooldown > 0:
            ship.cooldown -= 1
        if FIRE_OF[action] and ship.cooldown == 0:
            ship.cooldown = r.fire_cooldown_ticks
            ship.shots += 1
            step_px = r.bullet_speed_px_s * dt
            nose_x = ship.x + cos_h * rad
            nose_y = ship.y + sin_h * rad
            self.bullets.append(Bullet(ship.player, nose_x, nose_y, cos_h * step_px, sin_h * step_px))
            events.append(Event("fire", ship.player, nose_x, nose_y))

    def _move_bullets(self) -> None:
        w = self.rules.arena_width_px
        h = self.rules.arena_height_px
        kept = []
        for b in self.bullets:
            b.x += b.vx
            b.y += b.vy
            if 0.0 <= b.x <= w and 0.0 <= b.y <= h:
                kept.append(b)
        self.bullets = kept

    def _move_asteroids(self) -> None:
        r = self.rules
        step_px = r.asteroid_speed_px_s * r.dt_s
        max_turn = r.asteroid_turn_rad_s * r.dt_s
        w = r.arena_width_px
        h = r.arena_height_px
        tick = self.tick
        gone = False
        for a in self.asteroids:
            if a.retarget_tick <= tick:
                a.target_heading = float(self.rng.uniform(0.0, TAU))
                a.retarget_tick = tick + r.asteroid_retarget_ticks
            if a.heading != a.target_heading:
                # turn the short way round towards the target, at most max_turn per tick
                diff = (a.target_heading - a.heading + math.pi) % TAU - math.pi
                if -max_turn <= diff <= max_turn:
                    a.heading = a.target_heading
                else:
                    a.heading = (a.heading + (max_turn if diff > 0 else -max_turn)) % TAU
                a.vx = math.cos(a.heading) * step_px
                a.vy = math.sin(a.heading) * step_px
            x = a.x = a.x + a.vx
            y = a.y = a.y + a.vy
            rad = a.radius
            if not (-rad <= x <= w + rad and -rad <= y <= h + rad):
                gone = True
        if gone:  # rare: rebuild the list only when one has drifted out
            self.asteroids = [
                a for a in self.asteroids if -a.radius <= a.x <= w + a.radius and -a.radius <= a.y <= h + a.radius
            ]

    def _collide(self, events: list[Event]) -> None:
        r = self.rules
        ships = self.ships
        asteroids = self.asteroids
        br = r.bullet_radius_px
        sr = r.ship_radius_px
        hit_ship_d2 = (sr + br) ** 2
        # A bullet moves 16.7 px a tick and the smallest overlap distance is about 19 px, so a
        # point test at the new position cannot step over a target.
        if self.bullets:
            kept = []
            for b in self.bullets:
                bx, by = b.x, b.y
                target = ships[1 - b.owner]
                if (
                    target.alive
                    and target.invulnerable == 0
                    and (bx - target.x) ** 2 + (by - target.y) ** 2 < hit_ship_d2
                ):
                    ships[b.owner].hits += 1
                    self._kill(target, "bullet", events)
                    continue
                for a in asteroids:
                    reach = a.radius + br
                    dx = bx - a.x
                    if -reach < dx < reach and dx * dx + (by - a.y) ** 2 < reach * reach:
                        self._shoot_asteroid(a, b, events)
                        break
                else:
                    kept.append(b)
            self.bullets = kept
        for ship in ships:
            if not ship.alive or ship.invulnerable:
                continue
            sx, sy = ship.x, ship.y
            for a in asteroids:
                reach = a.radius + sr
                dx = sx - a.x
                if -reach < dx < reach and dx * dx + (sy - a.y) ** 2 < reach * reach:
                    self._kill(ship, "asteroid", events)
                    break

    def _shoot_asteroid(self, a: Asteroid, b: Bullet, events: list[Event]) -> None:
        r = self.rules
        shooter = self.ships[b.owner]
        shooter.score += r.score_asteroid
        shooter.asteroids_shot += 1
        self.asteroids.remove(a)
        events.append(Event("asteroid_shot", b.owner, a.x, a.y, a.radius))
        child_radius = a.radius / r.asteroid_split_factor
        if child_radius < r.asteroid_min_radius_px:
            return
        # the pieces fly apart, across the bullet's path
        bullet_heading = math.atan2(b.vy, b.vx)
        for side in (-1.0, 1.0):
            heading = (bullet_heading + side * float(self.rng.uniform(0.6, 1.4))) % TAU
            self.asteroids.append(self._new_asteroid(a.x, a.y, child_radius, heading))

    def _kill(self, ship: Ship, cause: str, events: list[Event]) -> None:
        r = self.rules
        ship.alive = False
        ship.lives -= 1
        ship.deaths += 1
        ship.speed = 0.0
        ship.died_tick = self.tick
        ship.respawn_in = r.respawn_delay_ticks
        ship.score -= r.score_kill
        self.ships[1 - ship.player].score += r.score_kill
        events.append(Event("ship_destroyed", ship.player, ship.x, ship.y, cause=cause))

    def _tick_timers(self, events: list[Event]) -> None:
        for ship in self.ships:
            # a ship that died this very tick starts counting on the next one
            if not ship.alive and ship.lives > 0 and ship.died_tick != self.tick:
                ship.respawn_in -= 1
                if ship.respawn_in <= 0:
                    ship.alive = True
                    ship.speed = 0.0
                    ship.cooldown = 0
                    ship.invulnerable = self.rules.invulnerable_ticks
                    events.append(Event("respawn", ship.player, ship.x, ship.y))

    def _check_end(self, events: list[Event]) -> None:
        out0 = self.ships[0].lives <= 0
        out1 = self.ships[1].lives <= 0
        if out0 or out1:
            self.over = True
            self.winner = None if out0 and out1 else (1 if out0 else 0)
        elif self.tick >= self.rules.time_limit_ticks:
            self.over = True
            self.timed_out = True
        if self.over:
            events.append(Event("match_over", -1 if self.winner is None else self.winner))

    # ------------------------------------------------------------------------------------
    def _new_asteroid(self, x: float, y: float, radius: float, heading: float) -> Asteroid:
        r = self.rules
        rng = self.rng
        spin = r.asteroid_spin_rad_s * r.dt_s * (1.0 if rng.random() < 0.5 else -1.0)
        step_px = r.asteroid_speed_px_s * r.dt_s
        return Asteroid(
            x=x,
            y=y,
            radius=radius,
            heading=heading,
            target_heading=heading,
            retarget_tick=self.tick + int(rng.integers(1, r.asteroid_retarget_ticks + 1)),
            vx=math.cos(heading) * step_px,
            vy=math.sin(heading) * step_px,
            born_tick=self.tick,
            angle0=float(rng.uniform(0.0, TAU)),
            spin=spin,
            shape_seed=int(rng.integers(0, 2**31 - 1)),
        )

    def _spawn_asteroid(self) -> None:
        """Add an asteroid near a random edge, drifting inwards, unless a ship is too close."""
        r = self.rules
        rng = self.rng
        w, h, edge = r.arena_width_px, r.arena_height_px, r.asteroid_spawn_edge_px
        radius = float(rng.choice(r.asteroid_spawn_radii_px, p=r.asteroid_spawn_weights))
        side = int(rng.integers(4))
        along = float(rng.random())
        depth = float(rng.uniform(0.0, edge))
        inward = float(rng.uniform(-1.2, 1.2))  # radians off the inward normal
        if side == 0:  # top
            x, y, normal = along * w, depth, math.pi / 2
        elif side == 1:  # bottom
            x, y, normal = along * w, h - depth, -math.pi / 2
        elif side == 2:  # left
            x, y, normal = depth, along * h, 0.0
        else:  # right
            x, y, normal = w - depth, along * h, math.pi
        asteroid = self._new_asteroid(x, y, radius, (normal + inward) % TAU)
        for ship in self.ships:
            clear = radius + r.ship_radius_px + r.asteroid_spawn_clearance_px
            if ship.alive and (ship.x - x) ** 2 + (ship.y - y) ** 2 < clear * clear:
                return
        self.asteroids.append(asteroid)

    # ------------------------------------------------------------------------------------
    def snapshot(self) -> tuple:
        """Every simulated value as nested tuples: equal snapshots mean equal matches."""
        return (
            self.tick,
            self.over,
            self.winner,
            self.timed_out,
            tuple(_fields(s) for s in self.ships),
            tuple(_fields(b) for b in self.bullets),
            tuple(_fields(a) for a in self.asteroids),
            self.rng.bit_generator.state["state"]["state"],
        )

    def state_dict(self) -> dict:
        """The whole match as JSON-compatible values (for checkpoints; no pickle)."""
        return {
            "seed": self.seed,
            "tick": self.tick,
            "over": self.over,
            "winner": self.winner,
            "timed_out": self.timed_out,
            "rng": self.rng.bit_generator.state,
            "ships": [list(_fields(s)) for s in self.ships],
            "bullets": [list(_fields(b)) for b in self.bullets],
            "asteroids": [list(_fields(a)) for a in self.asteroids],
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a match saved by :meth:`state_dict` (same rules assumed)."""
        self.seed = state["seed"]
        self.tick = state["tick"]
        self.over = state["over"]
        self.winner = state["winner"]
        self.timed_out = state["timed_out"]
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state["rng"]
        self.ships = tuple(Ship(*values) for values in state["ships"])  # type: ignore[assignment]
        self.bullets = [Bullet(*values) for values in state["bullets"]]
        self.asteroids = [Asteroid(*values) for values in state["asteroids"]]


def _fields(obj: object) -> tuple:
    return tuple(getattr(obj, name) for name in obj.__slots__)  # type: ignore[attr-defined]
