"""Parameter-free layers: ReLU and Flatten."""

from __future__ import annotations

import numpy as np

from .base import Layer


class ReLU(Layer):
    """max(x, 0), elementwise, any shape; keeps the input's dtype and memory layout."""

    def __init__(self) -> None:
        self._out: np.ndarray | None = None

    def __repr__(self) -> str:
        return "ReLU()"

    def _clear(self) -> None:
        self._out = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        y = np.maximum(x, 0)
        if train:
            self._out = y
        return y

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """The gradient passes where the output was positive and is zero elsewhere."""
        if self._out is None:
            raise RuntimeError("ReLU.backward needs a forward(x, train=True) first.")
        return grad_out * (self._out > 0)


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W) in C order (channel-major), whatever the memory layout."""

    def __init__(self) -> None:
        self._shape: tuple[int, ...] | None = None

    def __repr__(self) -> str:
        return "Flatten()"

    def _clear(self) -> None:
        self._shape = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        if train:
            self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self._shape is None:
            raise RuntimeError("Flatten.backward needs a forward(x, train=True) first.")
        return grad_out.reshape(self._shape)
