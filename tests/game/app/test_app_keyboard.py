"""Keyboard controllers: held keys -> the 18 action integers, for both players."""

from collections import defaultdict

import pygame
import pytest

from game.actions import NUM_ACTIONS, decode
from game.app.keyboard import KeyboardController
from game.world import World

K = pygame


def action(player: int, *keys: int) -> int:
    pressed = defaultdict(bool, {key: True for key in keys})
    return KeyboardController(player, get_pressed=lambda: pressed).act(World(seed=0), player)


@pytest.mark.parametrize(
    "player, keys, expected",
    [
        # action = thrust * 6 + turn * 2 + fire; thrust 1 forward 2 back, turn 1 left 2 right
        (0, (), 0),
        (0, (K.K_SPACE,), 1),
        (0, (K.K_a,), 2),
        (0, (K.K_d,), 4),
        (0, (K.K_w,), 6),
        (0, (K.K_w, K.K_a, K.K_SPACE), 9),
        (0, (K.K_s, K.K_d), 16),
        (0, (K.K_s, K.K_d, K.K_SPACE), 17),
        (1, (), 0),
        (1, (K.K_RETURN,), 1),
        (1, (K.K_KP_ENTER,), 1),
        (1, (K.K_LEFT,), 2),
        (1, (K.K_UP, K.K_RIGHT, K.K_RETURN), 11),
        (1, (K.K_DOWN, K.K_LEFT), 14),
    ],
)
def test_keys_map_to_actions(player, keys, expected):
    assert action(player, *keys) == expected


def test_opposite_keys_cancel():
    assert action(0, K.K_a, K.K_d) == 0  # no turn
    assert action(0, K.K_w, K.K_s) == 0  # no thrust
    assert action(0, K.K_w, K.K_s, K.K_a, K.K_d, K.K_SPACE) == 1  # only fire is left
    assert action(1, K.K_LEFT, K.K_RIGHT, K.K_UP) == 6
    assert action(1, K.K_UP, K.K_DOWN, K.K_RIGHT) == 4


def test_players_do_not_read_each_others_keys():
    p1_keys = (K.K_w, K.K_a, K.K_s, K.K_d, K.K_SPACE)
    p2_keys = (K.K_UP, K.K_DOWN, K.K_LEFT, K.K_RIGHT, K.K_RETURN, K.K_KP_ENTER)
    assert action(1, *p1_keys) == 0
    assert action(0, *p2_keys) == 0
    # both players at once, as on a shared keyboard
    both = p1_keys[:1] + p1_keys[4:] + p2_keys[3:5]
    assert decode(action(0, *both)) == (1, 0, True)
    assert decode(action(1, *both)) == (0, 2, True)


def test_every_key_combination_is_a_valid_action():
    keys = (K.K_w, K.K_a, K.K_s, K.K_d, K.K_SPACE)
    seen = set()
    for mask in range(2 ** len(keys)):
        held = [k for i, k in enumerate(keys) if mask >> i & 1]
        seen.add(action(0, *held))
    assert seen == set(range(NUM_ACTIONS))  # the keyboard can express all 18 actions


def test_player_must_be_0_or_1():
    with pytest.raises(ValueError):
        KeyboardController(2)
