"""Fully connected layer: y = x @ weights + bias."""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Layer, check_dtype
from .init import init_weights
from .parallel import ChunkRunner, default_threads

#: Below this many multiply-adds a GEMM is not worth splitting across threads.
MIN_SPLIT_MACS = 1 << 22


def _bounds(total: int, parts: int) -> list[tuple[int, int]]:
    """Split range(total) into `parts` contiguous, nearly equal (start, stop) pieces."""
    edges = [total * i // parts for i in range(parts + 1)]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


class Dense(Layer):
    """`weights` (in_features, out_features) and `bias` (out_features,), float32 by default.

    Input (N, in_features) -> output (N, out_features). Arguments as for Conv2D: `rng` for
    the initial weights, `init` "he" or "orthogonal" (PPO uses orthogonal with gain sqrt(2)
    for hidden layers, 0.01 for a policy head, 1 for a value head), `activation` None or
    "relu" (fused), `needs_input_grad` False to skip dL/dx, `threads` for large GEMMs,
    `dtype` float32 or float64.
    """

    param_names = ("weights", "bias")

    def __init__(self, in_features: int, out_features: int, *, rng: np.random.Generator,
                 init: str = "he", gain: float | None = None, activation: str | None = None,
                 needs_input_grad: bool = True, threads: int | None = None,
                 dtype: Any = np.float32) -> None:
        if in_features < 1 or out_features < 1:
            raise ValueError(f"Dense sizes must be >= 1, got {in_features} -> {out_features}.")
        if activation not in (None, "relu"):
            raise ValueError(f"Dense activation must be None or 'relu', got {activation!r}.")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.activation = activation
        self.needs_input_grad = bool(needs_input_grad)
        self.dtype = check_dtype(dtype)
        # Drawn as (out, in) like torch's layout, so "orthogonal" means orthonormal rows there.
        self.weights = np.ascontiguousarray(
            init_weights(rng, init, self.out_features, self.in_features, gain, self.dtype).T)
        self.bias = np.zeros(self.out_features, self.dtype)
        self.grad_weights = np.zeros_like(self.weights)
        self.grad_bias = np.zeros_like(self.bias)
        self.threads = default_threads() if threads is None else max(1, int(threads))
        self._runner = ChunkRunner(self.threads)
        self._saved: tuple[np.ndarray, np.ndarray | None] | None = None

    def __repr__(self) -> str:
        act = ", relu" if self.activation else ""
        return f"Dense({self.in_features}->{self.out_features}{act})"

    def _clear(self) -> None:
        self._saved = None

    def _parts(self, n: int) -> int:
        """How many pieces to split a GEMM over n rows into (1 = call BLAS directly)."""
        if self.threads == 1 or n * self.in_features * self.out_features < MIN_SPLIT_MACS:
            return 1
        return min(n, 2 * self.threads)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """x (N, in_features) -> (N, out_features); train=True keeps x for backward."""
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"{self!r} expects input of shape (N, {self.in_features}), got {x.shape}.")
        x = x.astype(self.dtype, copy=False)
        y = np.empty((x.shape[0], self.out_features), self.dtype)
        rows = _bounds(x.shape[0], self._parts(x.shape[0]))

        def task(k: int, worker: int) -> None:
            a, b = rows[k]
            np.matmul(x[a:b], self.weights, out=y[a:b])
            y[a:b] += self.bias
            if self.activation == "relu":
                np.maximum(y[a:b], 0, out=y[a:b])

        self._runner.run(task, len(rows))
        if train:
            self._saved = (x, y if self.activation else None)
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        """grad_out (N, out_features) -> dL/dx (N, in_features) or None; fills grad_weights/bias."""
        if self._saved is None:
            raise RuntimeError(f"{self!r}.backward needs a forward(x, train=True) first.")
        x, y = self._saved
        n = x.shape[0]
        if grad_out.shape != (n, self.out_features):
            raise ValueError(f"{self!r}.backward expects a gradient of shape "
                             f"{(n, self.out_features)}, got {grad_out.shape}.")
        g = grad_out.astype(self.dtype, copy=False)
        if y is not None:
            g = g * (y > 0)
        parts = self._parts(n)
        rows = _bounds(n, parts) if self.needs_input_grad else []
        cols = _bounds(self.in_features, parts)  # grad_weights by blocks of input features
        grad_in = np.empty((n, self.in_features), self.dtype) if self.needs_input_grad else None

        def task(k: int, worker: int) -> None:
            if k < len(cols):
                a, b = cols[k]
                np.matmul(x[:, a:b].T, g, out=self.grad_weights[a:b])
            else:
                a, b = rows[k - len(cols)]
                np.matmul(g[a:b], self.weights.T, out=grad_in[a:b])

        self._runner.run(task, len(cols) + len(rows), parallel=parts > 1)
        np.matmul(np.ones(n, self.dtype), g, out=self.grad_bias)
        return grad_in
