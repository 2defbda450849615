"""Scripted opponents. Each is a controller: ``reset(seed)`` then ``act(world, player) -> action``.

Bots with memory also have ``state_dict()`` / ``load_state_dict(state)`` (JSON-compatible), so a
training run can stop mid-match and resume exactly.

Bots read the world state directly (agents read pixels). Any randomness a bot uses comes from
its own ``numpy.random.Generator``, seeded by ``reset``, never from the world's stream, so adding
or swapping a bot never changes how the match itself unfolds for the same actions.

- ``idle``: never does anything (a still target).
- ``random``: the original's "dumb AI": holds a uniformly random action for 1.5 s.
- ``spinner``: turns on the spot and fires whenever it can; a trivial policy that any real
  opponent must beat clearly.
- ``circler``: flies in a circle firing all the time; a style the learning agent has not met.
- ``aimbot``: turns towards where the enemy will be when its bullet arrives, fires when aligned,
  keeps its distance and backs away from asteroids in its path.
- ``rookie``: the aimbot with a slower reaction and a shakier aim.
- ``sniper``: the aimbot keeping far away (500-700 px); the learning agent never trains against it.
- ``rusher``: the aimbot closing to point-blank range (60-160 px): it visits ships that camp.
- ``dodger``: the aimbot that flies across the enemy's line of fire whenever it is aimed at.
- ``sprayer``: the aimbot sweeping its aim across the enemy and firing all the time.

The robust-opponent work keeps a *held-out* set of further styles in ``benchmarks/heldout.py``
that no training run may meet; see there.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from game.actions import (
    NUM_ACTIONS,
    THRUST_BACKWARD,
    THRUST_FORWARD,
    THRUST_NONE,
    TURN_LEFT,
    TURN_NONE,
    TURN_RIGHT,
    decode,
    encode,
)
from game.world import TAU, World


def _wrap(angle: float) -> float:
    """``angle`` wrapped to [-pi, pi)."""
    return (angle + math.pi) % TAU - math.pi


class IdleBot:
    """Does nothing, ever."""

    name = "idle"

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, world: World, player: int) -> int:
        return 0


class RandomBot:
    """Holds one uniformly random action of the 18 for ``hold_s`` seconds, then draws again."""

    name = "random"

    def __init__(self, hold_s: float = 1.5) -> None:
        self.hold_s = hold_s
        self.reset(None)

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self._action = 0
        self._until_tick = -1

    def state_dict(self) -> dict:
        return {"rng": self._rng.bit_generator.state, "action": self._action, "until": self._until_tick}

    def load_state_dict(self, state: dict) -> None:
        self._rng.bit_generator.state = state["rng"]
        self._action, self._until_tick = state["action"], state["until"]

    def act(self, world: World, player: int) -> int:
        if world.tick >= self._until_tick:
            self._action = int(self._rng.integers(NUM_ACTIONS))
            self._until_tick = world.tick + world.rules.ticks(self.hold_s)
        return self._action


class SpinnerBot:
    """Spins on the spot and fires whenever the gun is ready."""

    name = "spinner"

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, world: World, player: int) -> int:
        return encode(THRUST_NONE, TURN_LEFT, True)


class CirclerBot:
    """Flies forward while turning (a circle about 150 px across) and fires all the time."""

    name = "circler"

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, world: World, player: int) -> int:
        return encode(THRUST_FORWARD, TURN_RIGHT, True)


class AimBot:
    """A competent scripted pilot.

    Each tick it (1) predicts where the target will be when a bullet fired now would reach it
    (constant-velocity lead, clamped to the arena), (2) turns towards that point, (3) fires when
    the remaining error is within the target's angular size and the target can be hit by then,
    (4) closes in beyond ``far_px`` and backs off inside ``near_px``, and (5) when an asteroid is
    about to touch it, backs away from it (or flies on, if the asteroid is behind). With no enemy
    to shoot (dead or invulnerable for long) it shoots the nearest asteroid for points.

    Like a person, it reacts late: it sees the enemy ship as it was ``reaction_s`` ago (0.2 s,
    a quick human reaction time) and extrapolates from there, so it hits a ship that flies
    steadily but is fooled by sudden changes. ``aim_noise_rad`` (0 by default) adds a random
    aiming error per shot, drawn from the bot's own generator, for an easier variant.
    """

    name = "aimbot"

    def __init__(
        self,
        far_px: float = 420.0,
        near_px: float = 220.0,
        danger_px: float = 30.0,
        lookahead_s: float = 0.5,
        reaction_s: float = 0.2,
        aim_noise_rad: float = 0.0,
    ) -> None:
        self.far_px = far_px
        self.near_px = near_px
        self.danger_px = danger_px
        self.lookahead_s = lookahead_s
        self.reaction_s = reaction_s
        self.aim_noise_rad = aim_noise_rad
        self.reset(None)

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self._noise = 0.0
        self._seen: deque[tuple] = deque()  # what it saw of the enemy, oldest first

    def state_dict(self) -> dict:
        return {"rng": self._rng.bit_generator.state, "noise": self._noise, "seen": [list(s) for s in self._seen]}

    def load_state_dict(self, state: dict) -> None:
        self._rng.bit_generator.state = state["rng"]
        self._noise = state["noise"]
        self._seen = deque(tuple(s) for s in state["seen"])

    def _perceive(self, world: World, foe) -> tuple:
        """The enemy as seen ``reaction_s`` ago: (alive, x, y, vx, vy, invulnerable ticks), extrapolated."""
        delay = world.rules.ticks(self.reaction_s)
        self._seen.append((world.tick, foe.alive, foe.x, foe.y, foe.vx, foe.vy, foe.invulnerable))
        while len(self._seen) > 1 and self._seen[1][0] <= world.tick - delay:
            self._seen.popleft()
        tick, alive, x, y, vx, vy, invulnerable = self._seen[0]
        age = (world.tick - tick) * world.rules.dt_s
        return alive, x + vx * age, y + vy * age, vx, vy, max(0, invulnerable - (world.tick - tick))

    def act(self, world: World, player: int) -> int:
        me = world.ships[player]
        foe_alive, fx, fy, fvx, fvy, f_invulnerable = self._perceive(world, world.ships[1 - player])
        if not me.alive:
            return 0
        rules = world.rules
        bullet_speed = rules.bullet_speed_px_s

        # --- choose what to shoot at --------------------------------------------------------
        target = None  # (x, y, vx, vy, radius, hittable_after_s)
        if foe_alive:
            target = (fx, fy, fvx, fvy, rules.ship_radius_px, f_invulnerable * rules.dt_s)
        if (target is None or target[5] > 0.6) and world.asteroids:
            nearest = min(world.asteroids, key=lambda a: (a.x - me.x) ** 2 + (a.y - me.y) ** 2)
            speed = rules.asteroid_speed_px_s
            target = (
                nearest.x,
                nearest.y,
                math.cos(nearest.heading) * speed,
                math.sin(nearest.heading) * speed,
                nearest.radius,
                0.0,
            )

        turn, fire = TURN_NONE, False
        dist = 0.0
        if target is not None:
            tx, ty, tvx, tvy, t_radius, hittable_after = target
            flight = _intercept_time(tx - me.x, ty - me.y, tvx, tvy, bullet_speed)
            aim_x = min(max(tx + tvx * flight, 0.0), rules.arena_width_px)
            aim_y = min(max(ty + tvy * flight, 0.0), rules.arena_height_px)
            dist = math.hypot(aim_x - me.x, aim_y - me.y)
            error = _wrap(math.atan2(aim_y - me.y, aim_x - me.x) + self._noise - me.heading)
            half_turn = rules.ship_turn_rad_s * rules.dt_s / 2
            if error < -half_turn:
                turn = TURN_LEFT
            elif error > half_turn:
                turn = TURN_RIGHT
            tolerance = math.atan2(0.8 * t_radius, max(dist, 1.0))
            fire = abs(error) < tolerance and me.cooldown <= 1 and flight >= hittable_after
            if fire and self.aim_noise_rad > 0.0:
                self._noise = float(self._rng.normal(0.0, self.aim_noise_rad))

        # --- keep a good distance from the enemy --------------------------------------------
        thrust = THRUST_NONE
        if foe_alive:
            gap = math.hypot(fx - me.x, fy - me.y)
            if gap > self.far_px:
                thrust = THRUST_FORWARD
            elif gap < self.near_px:
                thrust = THRUST_BACKWARD

        # --- stay out of the way of asteroids -----------------------------------------------
        threat = self._nearest_threat(world, me)
        if threat is not None:
            ahead = math.cos(me.heading) * (threat.x - me.x) + math.sin(me.heading) * (threat.y - me.y)
            thrust = THRUST_BACKWARD if ahead > 0 else THRUST_FORWARD
        return encode(thrust, turn, fire)

    def _nearest_threat(self, world: World, me) -> object | None:
        """The asteroid that will come within ``danger_px`` of the ship soonest, if any."""
        rules = world.rules
        steps = 5
        horizon = self.lookahead_s
        a_speed = rules.asteroid_speed_px_s
        best, best_t = None, horizon + 1.0
        for a in world.asteroids:
            reach = a.radius + rules.ship_radius_px + self.danger_px
            far = reach + (350.0 + a_speed) * horizon
            if abs(a.x - me.x) > far or abs(a.y - me.y) > far:
                continue
            avx = math.cos(a.heading) * a_speed
            avy = math.sin(a.heading) * a_speed
            for k in range(steps + 1):
                t = horizon * k / steps
                dx = (me.x + me.vx * t) - (a.x + avx * t)
                dy = (me.y + me.vy * t) - (a.y + avy * t)
                if dx * dx + dy * dy < reach * reach:
                    if t < best_t:
                        best, best_t = a, t
                    break
        return best


class RookieBot(AimBot):
    """The aimbot's slower, less precise cousin: 0.35 s reaction, about 3.4 degrees of aim error.

    It still beats ``random`` always and ``spinner`` about 9 times in 10, but loses most
    matches to ``aimbot``: a stepping stone for beginners and for the learning agent.
    """

    name = "rookie"

    def __init__(self) -> None:
        super().__init__(reaction_s=0.35, aim_noise_rad=0.06)


class SniperBot(AimBot):
    """The aimbot's aim from far away: it keeps 500-700 px from its target."""

    name = "sniper"

    def __init__(self) -> None:
        super().__init__(far_px=700.0, near_px=500.0)


class RusherBot(AimBot):
    """The aimbot at point-blank range: it closes to 60-160 px and fights there, so a ship that
    waits in a corner or by a wall gets visited."""

    name = "rusher"

    def __init__(self) -> None:
        super().__init__(far_px=160.0, near_px=60.0, reaction_s=0.25)


class DodgerBot(AimBot):
    """The aimbot that gets out of the line of fire: when the enemy points at it (within 12
    degrees) it turns across that line and flies on, and only then turns back to shoot."""

    name = "dodger"

    def __init__(self) -> None:
        super().__init__(far_px=500.0, near_px=250.0, reaction_s=0.25)
        self._evading = 0

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self._evading = 0

    def state_dict(self) -> dict:
        return {**super().state_dict(), "evading": self._evading}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self._evading = state["evading"]

    def act(self, world: World, player: int) -> int:
        action = super().act(world, player)
        me, foe = world.ships[player], world.ships[1 - player]
        if not (me.alive and foe.alive):
            return action
        bearing = math.atan2(me.y - foe.y, me.x - foe.x)
        if abs(_wrap(bearing - foe.heading)) < 0.21 and self._evading == 0:
            self._evading = world.rules.ticks(0.4)
        if self._evading > 0:
            self._evading -= 1
            # fly across the enemy's line of fire: turn until heading is perpendicular to it
            across = _wrap(bearing + math.pi / 2 - me.heading)
            turn = TURN_RIGHT if across > 0.1 else TURN_LEFT if across < -0.1 else TURN_NONE
            return encode(THRUST_FORWARD, turn, action % 2 == 1)
        return action


class SprayerBot(AimBot):
    """Holds the trigger: it sweeps its aim back and forth across the enemy (about 15 degrees
    either side) and fires whenever the gun is ready, the way a nervous player sprays."""

    name = "sprayer"

    def __init__(self) -> None:
        super().__init__(far_px=450.0, near_px=200.0, reaction_s=0.3)

    def act(self, world: World, player: int) -> int:
        action = super().act(world, player)
        me = world.ships[player]
        if not me.alive:
            return action
        self._noise = 0.26 * math.sin(world.tick * TAU / 90.0)  # a 1.5 s sweep
        thrust, turn = action // 6, (action // 2) % 3
        return encode(thrust, turn, me.cooldown <= 1)


class CamperBot(AimBot):
    """The aimbot that hides in a corner: it flies to the corner of the quarter of the arena it
    is in, stops there and shoots from it, turning only to aim, so the enemy can come at it from
    one side only and has to come and get it (what the first champions did, and their exploiters)."""

    name = "camper"
    corner_inset_px = 45.0  # where it parks: this far from both walls
    arrived_px = 30.0

    def act(self, world: World, player: int) -> int:
        action = super().act(world, player)
        me = world.ships[player]
        if not me.alive or self._nearest_threat(world, me) is not None:
            return action  # an asteroid coming: it gets out of the way as the aimbot does
        rules = world.rules
        _, turn, fire = decode(action)
        inset = self.corner_inset_px
        cx = inset if me.x < rules.arena_width_px / 2 else rules.arena_width_px - inset
        cy = inset if me.y < rules.arena_height_px / 2 else rules.arena_height_px - inset
        if math.hypot(cx - me.x, cy - me.y) <= self.arrived_px:
            return encode(THRUST_NONE, turn, fire)  # parked: drag stops it, it only aims
        error = _wrap(math.atan2(cy - me.y, cx - me.x) - me.heading)
        turn = TURN_RIGHT if error > 0.1 else TURN_LEFT if error < -0.1 else TURN_NONE
        return encode(THRUST_FORWARD if abs(error) < 0.5 else THRUST_NONE, turn, fire)


def _intercept_time(dx: float, dy: float, vx: float, vy: float, speed: float) -> float:
    """Seconds until a projectile of ``speed`` fired now meets a target at (dx, dy) moving (vx, vy).

    Solves |d + v t| = speed * t for the smallest t >= 0; falls back to distance / speed.
    """
    a = vx * vx + vy * vy - speed * speed
    b = 2.0 * (dx * vx + dy * vy)
    c = dx * dx + dy * dy
    if abs(a) > 1e-9:
        disc = b * b - 4.0 * a * c
        if disc >= 0.0:
            root = math.sqrt(disc)
            times = [t for t in ((-b - root) / (2 * a), (-b + root) / (2 * a)) if t >= 0.0]
            if times:
                return min(times)
    return math.sqrt(c) / speed


BOTS = {
    "idle": IdleBot,
    "random": RandomBot,
    "spinner": SpinnerBot,
    "circler": CirclerBot,
    "rookie": RookieBot,
    "aimbot": AimBot,
    "sniper": SniperBot,
    "rusher": RusherBot,
    "dodger": DodgerBot,
    "sprayer": SprayerBot,
    "camper": CamperBot,
}

DESCRIPTIONS = {  # one line about each bot (the menu shows them), strongest first
    "rusher": "the aimbot at point-blank range (60-160 px)",
    "aimbot": "leads its shots, 0.2 s reaction, avoids asteroids",
    "sniper": "the aimbot keeping far away (500-700 px)",
    "rookie": "a slower, shakier aimbot (0.35 s reaction)",
    "dodger": "the aimbot, flying across your line of fire",
    "sprayer": "the aimbot sweeping its aim and firing all the time",
    "camper": "the aimbot hiding in a corner, shooting from there",
    "random": "holds a random action for 1.5 s",
    "circler": "flies in circles, firing all the time",
    "spinner": "turns on the spot and fires",
    "idle": "a still target",
}
