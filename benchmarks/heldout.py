"""The held-out opponents: scripted styles that no training run may ever meet.

A trained agent that only beats the bots of its league has learned those bots, not the game.
These five play styles the league does not hold, and every candidate agent is reported against
them (``python main.py bench league ... --heldout``). Rules for this file:

- never add them to a league (``train --league-bots`` only takes the bots of ``game.bots`` and
  saved agents, so it cannot);
- never tune a training recipe on these scores: they measure, they do not teach;
- add styles, never remove one (the history of scores must stay comparable).

They are ordinary aim-and-shoot pilots built on the aimbot's aim, with their own ways to move
and fire. Use one as a controller anywhere by its spec, e.g.
``python main.py eval champion benchmarks.heldout:Hunter``.
"""

from __future__ import annotations

import math

from game.actions import THRUST_BACKWARD, THRUST_FORWARD, THRUST_NONE, TURN_LEFT, TURN_NONE, TURN_RIGHT, encode
from game.bots import AimBot, _wrap
from game.world import World


def _steer(me, x: float, y: float) -> int:
    """The turn that points ``me`` towards (x, y)."""
    error = _wrap(math.atan2(y - me.y, x - me.x) - me.heading)
    return TURN_RIGHT if error > 0.08 else TURN_LEFT if error < -0.08 else TURN_NONE


def _parts(action: int) -> tuple[int, int, bool]:
    return action // 6, (action // 2) % 3, bool(action % 2)


class Hunter(AimBot):
    """Quick and precise at middle range: 0.1 s reaction, 250-350 px."""

    name = "heldout-hunter"

    def __init__(self) -> None:
        super().__init__(far_px=350.0, near_px=250.0, reaction_s=0.1)


class Jinker(AimBot):
    """Never still: its thrust flips between forward and backward every 0.6 s while it aims."""

    name = "heldout-jinker"

    def __init__(self) -> None:
        super().__init__(reaction_s=0.2)

    def act(self, world: World, player: int) -> int:
        thrust, turn, fire = _parts(super().act(world, player))
        if not world.ships[player].alive:
            return 0
        phase = (world.tick // world.rules.ticks(0.6)) % 2
        return encode(THRUST_FORWARD if phase == 0 else THRUST_BACKWARD, turn, fire)


class Turret(AimBot):
    """Holds the middle of the arena and turns to shoot whatever comes: a gun emplacement."""

    name = "heldout-turret"

    def __init__(self) -> None:
        super().__init__(reaction_s=0.2)

    def act(self, world: World, player: int) -> int:
        thrust, turn, fire = _parts(super().act(world, player))
        me = world.ships[player]
        if not me.alive:
            return 0
        cx, cy = world.rules.arena_width_px / 2, world.rules.arena_height_px / 2
        if math.hypot(cx - me.x, cy - me.y) > 90.0 and not fire:
            return encode(THRUST_FORWARD, _steer(me, cx, cy), False)
        if self._nearest_threat(world, me) is None:
            thrust = THRUST_NONE
        return encode(thrust, turn, fire)


class Flanker(AimBot):
    """Flies round to a point 250 px behind the enemy and shoots from there."""

    name = "heldout-flanker"

    def __init__(self) -> None:
        super().__init__(far_px=300.0, near_px=150.0, reaction_s=0.25)

    def act(self, world: World, player: int) -> int:
        thrust, turn, fire = _parts(super().act(world, player))
        me, foe = world.ships[player], world.ships[1 - player]
        if not (me.alive and foe.alive) or fire:
            return encode(thrust, turn, fire)
        r = world.rules
        bx = min(max(foe.x - 250.0 * math.cos(foe.heading), 40.0), r.arena_width_px - 40.0)
        by = min(max(foe.y - 250.0 * math.sin(foe.heading), 40.0), r.arena_height_px - 40.0)
        if math.hypot(bx - me.x, by - me.y) > 120.0:
            return encode(THRUST_FORWARD, _steer(me, bx, by), False)
        return encode(thrust, turn, fire)


class Burster(AimBot):
    """Fires bursts of three quick shots, then holds fire for a second while it closes in."""

    name = "heldout-burster"

    def __init__(self) -> None:
        super().__init__(far_px=450.0, near_px=300.0, reaction_s=0.2)
        self._shots = 0
        self._hold = 0

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self._shots, self._hold = 0, 0

    def state_dict(self) -> dict:
        return {**super().state_dict(), "shots": self._shots, "hold": self._hold}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self._shots, self._hold = state["shots"], state["hold"]

    def act(self, world: World, player: int) -> int:
        thrust, turn, fire = _parts(super().act(world, player))
        me = world.ships[player]
        if not me.alive:
            return 0
        if self._hold > 0:
            self._hold -= 1
            return encode(THRUST_FORWARD if thrust == THRUST_NONE else thrust, turn, False)
        if me.cooldown <= 1 and (fire or 0 < self._shots < 3):
            self._shots += 1
            if self._shots >= 3:
                self._shots, self._hold = 0, world.rules.ticks(1.0)
            return encode(thrust, turn, True)
        return encode(thrust, turn, False)


HELDOUT = {bot.name: bot for bot in (Hunter, Jinker, Turret, Flanker, Burster)}
