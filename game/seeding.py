"""Every seed the project derives, from one primitive: NumPy's ``SeedSequence``.

A seed given by the user (``--seed``) names a whole series of matches or a training run; each
match, controller and random generator inside it gets its own well-mixed 32-bit seed derived
from the user's seed and integers that say which one it is. ``SeedSequence`` mixes well and is
stable across NumPy versions, so the same seed gives the same matches on every machine.
"""

from __future__ import annotations

import numpy as np

_WORD = 0xFFFFFFFFFFFFFFFF


def seed_words(*words: int, count: int = 1) -> tuple[int, ...]:
    """``count`` 32-bit seeds derived from the integers ``words`` (negative ones wrap to 64 bits)."""
    state = np.random.SeedSequence([int(w) & _WORD for w in words]).generate_state(count)
    return tuple(int(s) for s in state)


def derive_seed(*words: int) -> int:
    """One 32-bit seed from integers, e.g. ``derive_seed(run_seed, purpose, index)``."""
    return seed_words(*words)[0]


def match_seeds(seed: int, index: int) -> tuple[int, int, int]:
    """The (world, player 1, player 2) seeds of match ``index`` of a series seeded with ``seed``."""
    world, player1, player2 = seed_words(seed, index, count=3)
    return world, player1, player2


def fresh_seed() -> int:
    """A seed from the operating system's entropy, for when the user gives none."""
    return int(np.random.SeedSequence().generate_state(1)[0])
