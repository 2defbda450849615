"""The layer protocol shared by every module in `agent.nn`, plus a scratch-buffer helper.

A layer maps a batch to a batch. `forward(x, train=True)` keeps exactly what `backward` needs;
`forward(x, train=False)` is the cheap acting path and keeps nothing. `backward(grad_out)`
returns the gradient with respect to the input (or None for a layer built with
`needs_input_grad=False`) and *overwrites* the layer's parameter gradients (`grad_*`), so a
training step is: forward on a minibatch, backward once, clip, optimizer step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype: Any) -> np.dtype:
    """Return `dtype` as a NumPy dtype, or raise ValueError unless it is float32 or float64."""
    dt = np.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"Layers compute in float32 (or float64 for gradient checks), not {dt}.")
    return dt


class Layer:
    """Base class: no parameters, identity shapes. Subclasses override what they need."""

    #: Parameter attribute names, in saving order (e.g. ("weights", "bias")).
    param_names: tuple[str, ...] = ()

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def params(self) -> dict[str, np.ndarray]:
        """The live parameter arrays by name (updated in place by optimizers)."""
        return {name: getattr(self, name) for name in self.param_names}

    def grads(self) -> dict[str, np.ndarray]:
        """The live gradient arrays by parameter name, filled by the last `backward`."""
        return {name: getattr(self, "grad_" + name) for name in self.param_names}

    def astype(self, dtype: Any) -> Layer:
        """Convert parameters (and zero their gradients) to `dtype` in place; return self."""
        dt = check_dtype(dtype)
        for name in self.param_names:
            setattr(self, name, getattr(self, name).astype(dt))
            setattr(self, "grad_" + name, np.zeros_like(getattr(self, name)))
        self.dtype = dt
        self._clear()
        return self

    def _clear(self) -> None:
        """Drop whatever forward saved for backward (and any scratch buffers)."""


class Scratch:
    """Named scratch arrays reused across calls, so big temporaries are not re-faulted in.

    Allocating a fresh 30 MB array costs about as much as filling it (page faults), so a
    layer keeps its internal temporaries here. Only internal buffers live here: anything
    returned to the caller is freshly allocated.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype,
            fill: float | None = None) -> np.ndarray:
        """An array of exactly this shape and dtype; `fill` sets its values only when newly made."""
        arr = self._arrays.get(name)
        if arr is None or arr.shape != shape or arr.dtype != dtype:
            arr = np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype)
            self._arrays[name] = arr
        return arr

    def clear(self) -> None:
        self._arrays.clear()
