"""Minimal observation and action spaces with the Gymnasium spaces' names and meaning.

The project does not depend on Gymnasium; these carry the same information (``shape``, ``dtype``,
``low``/``high``, ``n``) and the optional adapters (:mod:`game.adapters`) convert them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Discrete:
    """The integers ``0 .. n-1``."""

    n: int
    shape: tuple[int, ...] = ()
    dtype: type = np.int64

    def contains(self, x: object) -> bool:
        try:
            value = int(x)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
        return value == x and 0 <= value < self.n

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.n))


@dataclass(frozen=True)
class Box:
    """Arrays of ``shape`` and ``dtype`` with every element in [low, high]."""

    low: float
    high: float
    shape: tuple[int, ...]
    dtype: type = np.uint8

    def contains(self, x: object) -> bool:
        return (
            isinstance(x, np.ndarray)
            and x.shape == self.shape
            and x.dtype == self.dtype
            and bool(np.all(x >= self.low))
            and bool(np.all(x <= self.high))
        )

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        if np.issubdtype(self.dtype, np.integer):
            return rng.integers(int(self.low), int(self.high) + 1, self.shape).astype(self.dtype)
        return rng.uniform(self.low, self.high, self.shape).astype(self.dtype)
