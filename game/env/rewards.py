"""Rewards: what each game event is worth, and the potential that shapes the learner's reward.

The environments' step rewards are the game's events, weighted by a :class:`RewardConfig`.
Its shaping terms define a *potential* ``phi(state)`` for each player (see
:meth:`RewardConfig.potential`); a learner with discount ``gamma`` adds
``gamma * phi(next state) - phi(state)`` to each step's reward (and uses ``phi = 0`` for a
state that ended the match). Potential-based shaping leaves the optimal policy unchanged
(Ng et al. 1999) but tells the learner early which way to turn. The discount is the learner's,
so the learner applies it; everything that reads the ships lives here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from game.world import World


@dataclass(frozen=True)
class RewardConfig:
    """Reward per event for each player; the defaults equal the game's score change / 50.

    ``aim_shaping``, ``dodge_shaping`` and ``open_shaping`` set the shaping potential (all 0
    by default: no shaping); see :meth:`potential`.
    """

    kill: float = 1.0  # the opponent's ship destroyed, by any cause (as the score counts it)
    death: float = -1.0  # the own ship destroyed
    asteroid: float = 0.2  # an asteroid shot
    aim_shaping: float = 0.0  # potential for pointing the gun at the opponent (0: off)
    dodge_shaping: float = 0.0  # potential for staying off the opponent's aim (0: off)
    open_shaping: float = 0.0  # potential for flying in the open, away from the walls (0: off)

    def reward(self, before: Tally, after: Tally) -> float:
        """The reward for what happened to a player between two tallies of its match."""
        return (self.kill * (after.kills - before.kills) + self.death * (after.deaths - before.deaths)
                + self.asteroid * (after.asteroids - before.asteroids))

    def potential(self, world: World, player: int) -> float:
        """The shaping potential of ``player``'s state: 0 unless both ships are alive, else
        ``(dodge_shaping * the opponent's aim error at the player - aim_shaping * the player's
        aim error) / pi - open_shaping * wall_closeness`` (errors in radians, 0..pi; see
        :func:`aim_error` and :func:`wall_closeness`)."""
        error = aim_error(world, player)
        if error is None:
            return 0.0
        dodge = self.dodge_shaping
        foe_error = aim_error(world, 1 - player) if dodge else 0.0
        value = (dodge * foe_error - self.aim_shaping * error) / math.pi
        if self.open_shaping:
            value -= self.open_shaping * wall_closeness(world, player)
        return value


class Tally(NamedTuple):
    """A player's counts so far in a match, from which rewards are computed."""

    kills: int  # the opponent's deaths, by any cause
    deaths: int
    asteroids: int  # asteroids the player shot


def tally(world: World, player: int) -> Tally:
    """``player``'s :class:`Tally` in ``world`` now."""
    me, foe = world.ships[player], world.ships[1 - player]
    return Tally(foe.deaths, me.deaths, me.asteroids_shot)


#: Within this distance of a wall a ship counts as near it for :func:`wall_closeness` (px; the
#: style cards' "near a wall" is 60 px, game/style.py).
OPEN_PX = 150.0


def wall_closeness(world: World, player: int) -> float:
    """How close ``player``'s ship is to the nearest wall: 1 touching it, falling linearly to 0
    at :data:`OPEN_PX` and beyond."""
    me, rules = world.ships[player], world.rules
    distance = min(me.x, me.y, rules.arena_width_px - me.x, rules.arena_height_px - me.y)
    return max(0.0, 1.0 - distance / OPEN_PX)


def aim_error(world: World, player: int) -> float | None:
    """|angle| between ``player``'s heading and the bearing to the opponent, or None if either is dead."""
    me, foe = world.ships[player], world.ships[1 - player]
    if not (me.alive and foe.alive):
        return None
    bearing = math.atan2(foe.y - me.y, foe.x - me.x)
    return abs((bearing - me.heading + math.pi) % (2 * math.pi) - math.pi)
