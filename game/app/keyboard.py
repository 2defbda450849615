"""Keyboard players: a controller that turns the keys held down this frame into an action.

Controls (the original game's):

- player 1: W forward, S backward, A turn left, D turn right, Space fire;
- player 2: arrow keys (up forward, down backward, left, right), Enter or keypad Enter fire.

Opposite keys held together cancel out (A and D: no turn; W and S: no thrust).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import pygame

from game.actions import (
    THRUST_BACKWARD,
    THRUST_FORWARD,
    THRUST_NONE,
    TURN_LEFT,
    TURN_NONE,
    TURN_RIGHT,
    encode,
)
from game.world import World

PressedKeys = Sequence[bool] | Mapping[int, bool]


@dataclass(frozen=True)
class KeyMap:
    """The keys of one player; each field lists the keys that do the same thing."""

    forward: tuple[int, ...]
    backward: tuple[int, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    fire: tuple[int, ...]


KEYMAPS: tuple[KeyMap, KeyMap] = (
    KeyMap((pygame.K_w,), (pygame.K_s,), (pygame.K_a,), (pygame.K_d,), (pygame.K_SPACE,)),
    KeyMap(
        (pygame.K_UP,),
        (pygame.K_DOWN,),
        (pygame.K_LEFT,),
        (pygame.K_RIGHT,),
        (pygame.K_RETURN, pygame.K_KP_ENTER),
    ),
)
KEY_HINTS = ("W/A/S/D + Space", "arrows + Enter")


def action_from_keys(pressed: PressedKeys, keymap: KeyMap) -> int:
    """The action integer for the keys held in ``pressed`` (indexed by pygame key constants)."""

    def held(keys: tuple[int, ...]) -> bool:
        return any(pressed[key] for key in keys)

    forward, backward = held(keymap.forward), held(keymap.backward)
    left, right = held(keymap.left), held(keymap.right)
    thrust = THRUST_NONE
    if forward != backward:  # both held: they cancel out
        thrust = THRUST_FORWARD if forward else THRUST_BACKWARD
    turn = TURN_NONE
    if left != right:
        turn = TURN_LEFT if left else TURN_RIGHT
    return encode(thrust, turn, held(keymap.fire))


class KeyboardController:
    """A controller for a person at the keyboard: player 0 uses W/A/S/D, player 1 the arrows.

    ``get_pressed`` returns the held keys, indexed by pygame key constants; it is
    ``pygame.key.get_pressed`` by default and can be replaced (tests give it a fixed mapping).
    The key map is chosen by the ``player`` given here, whichever side it is asked to fly.
    """

    name = "human"

    def __init__(self, player: int, get_pressed: Callable[[], PressedKeys] = pygame.key.get_pressed) -> None:
        if player not in (0, 1):
            raise ValueError(f"player must be 0 or 1, got {player}")
        self.player = player
        self.get_pressed = get_pressed

    @property
    def hint(self) -> str:
        """The keys of this player, for the HUD."""
        return KEY_HINTS[self.player]

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, world: World, player: int) -> int:
        return action_from_keys(self.get_pressed(), KEYMAPS[self.player])
