"""The 18 actions every controller speaks: {none, forward, backward} x {none, left, right} x {hold, fire}.

An action is one integer ``thrust * 6 + turn * 2 + fire``, so 0 is "do nothing" and the
keyboard, the scripted bots and the network are interchangeable. "Left" turns the ship
counter-clockwise as seen on the screen.
"""

from __future__ import annotations

from typing import NamedTuple

NUM_ACTIONS = 18

THRUST_NONE, THRUST_FORWARD, THRUST_BACKWARD = 0, 1, 2
TURN_NONE, TURN_LEFT, TURN_RIGHT = 0, 1, 2

_THRUST_NAMES = ("", "fwd", "back")
_TURN_NAMES = ("", "left", "right")


class Action(NamedTuple):
    """An action split into its three parts."""

    thrust: int  # THRUST_NONE / THRUST_FORWARD / THRUST_BACKWARD
    turn: int  # TURN_NONE / TURN_LEFT / TURN_RIGHT
    fire: bool


def encode(thrust: int, turn: int, fire: bool | int) -> int:
    """The action integer for the given parts."""
    if not (0 <= thrust <= 2 and 0 <= turn <= 2):
        raise ValueError(f"thrust and turn must be 0, 1 or 2, got {thrust} and {turn}")
    return thrust * 6 + turn * 2 + int(bool(fire))


def decode(action: int) -> Action:
    """The parts of an action integer in [0, 18)."""
    if not 0 <= action < NUM_ACTIONS:
        raise ValueError(f"an action is an integer in [0, {NUM_ACTIONS}), got {action}")
    return Action(action // 6, (action // 2) % 3, bool(action % 2))


def mirror(action: int) -> int:
    """The same action with left and right swapped (for a mirrored view of the arena)."""
    thrust, turn, fire = decode(action)
    return encode(thrust, (0, 2, 1)[turn], fire)


def name(action: int) -> str:
    """A short label, e.g. ``"fwd+left+fire"``, or ``"idle"`` for 0."""
    thrust, turn, fire = decode(action)
    parts = [p for p in (_THRUST_NAMES[thrust], _TURN_NAMES[turn], "fire" if fire else "") if p]
    return "+".join(parts) or "idle"


# Lookup tables for hot paths (a tuple index is cheaper than a function call).
THRUST_OF = tuple(a // 6 for a in range(NUM_ACTIONS))
TURN_OF = tuple((a // 2) % 3 for a in range(NUM_ACTIONS))
FIRE_OF = tuple(bool(a % 2) for a in range(NUM_ACTIONS))
MIRRORED = tuple(mirror(a) for a in range(NUM_ACTIONS))
NAMES = tuple(name(a) for a in range(NUM_ACTIONS))
