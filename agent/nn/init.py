"""Seeded weight initialisers. Every random draw comes from the Generator passed in."""

from __future__ import annotations

import math

import numpy as np


def he_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int,
              gain: float = math.sqrt(2.0), dtype: np.dtype | type = np.float32) -> np.ndarray:
    """Normal(0, gain / sqrt(fan_in)) weights of `shape` (He et al. 2015 for gain sqrt(2))."""
    std = gain / math.sqrt(fan_in)
    return (rng.standard_normal(shape) * std).astype(dtype)


def orthogonal(rng: np.random.Generator, rows: int, cols: int, gain: float = 1.0,
               dtype: np.dtype | type = np.float32) -> np.ndarray:
    """A (rows, cols) matrix with orthonormal rows (or columns, whichever are fewer) times gain.

    Same recipe as torch.nn.init.orthogonal_ (QR of a Gaussian matrix, signs fixed by diag(R)),
    the usual PPO choice: gain sqrt(2) for hidden layers, 0.01 for the policy head, 1 for value.
    Conv kernels use rows = num_kernels, cols = in_channels * k * k.
    """
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))  # makes the result uniformly distributed over orthogonal matrices
    if rows < cols:
        q = q.T
    return (gain * q).astype(dtype)


def init_weights(rng: np.random.Generator, init: str, out_units: int, fan_in: int,
                 gain: float | None, dtype: np.dtype) -> np.ndarray:
    """(out_units, fan_in) weights by name: "he" (normal) or "orthogonal". gain defaults to sqrt(2)."""
    g = math.sqrt(2.0) if gain is None else float(gain)
    if init == "he":
        return he_normal(rng, (out_units, fan_in), fan_in, g, dtype)
    if init == "orthogonal":
        return orthogonal(rng, out_units, fan_in, g, dtype)
    raise ValueError(f"Unknown init {init!r}; use 'he' or 'orthogonal'.")
