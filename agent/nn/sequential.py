"""A chain of layers with named, flat parameters for saving and optimizing."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from .base import Layer, check_dtype


class Sequential(Layer):
    """Apply layers in order; backward runs them in reverse.

    Parameters are named "<layer index>.<name>" ("0.weights", "0.bias", "3.weights", ...), in
    layer order then each layer's `param_names` order, so saved files have a stable order.
    """

    def __init__(self, *layers: Layer) -> None:
        self.layers = list(layers)

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """Run every layer; train=False is the cheap acting path (nothing kept for backward)."""
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        """Backpropagate dL/d(output); fills every layer's gradients; returns dL/d(input) or None."""
        grad: np.ndarray | None = grad_out
        for index in range(len(self.layers) - 1, -1, -1):
            if grad is None:
                raise RuntimeError(f"Layer {index + 1} ({self.layers[index + 1]!r}) returned no input "
                                   "gradient, but it is not the first layer (needs_input_grad=False?).")
            grad = self.layers[index].backward(grad)
        return grad

    def params(self) -> dict[str, np.ndarray]:
        """Live parameter arrays by flat name, in stable order (optimizers update these in place)."""
        return {f"{i}.{name}": arr for i, layer in enumerate(self.layers)
                for name, arr in layer.params().items()}

    def grads(self) -> dict[str, np.ndarray]:
        """Live gradient arrays with the same names as `params()`."""
        return {f"{i}.{name}": arr for i, layer in enumerate(self.layers)
                for name, arr in layer.grads().items()}

    def get_params(self) -> dict[str, np.ndarray]:
        """Copies of all parameters by flat name: ready for np.savez."""
        return {name: arr.copy() for name, arr in self.params().items()}

    def set_params(self, values: dict[str, np.ndarray]) -> None:
        """Copy `values` into the parameters in place (cast to each parameter's dtype).

        Raises ValueError, changing nothing, if names or shapes do not match exactly.
        """
        params = self.params()
        missing, extra = params.keys() - values.keys(), values.keys() - params.keys()
        if missing or extra:
            raise ValueError(f"Parameters do not match this network: missing {sorted(missing)}, "
                             f"unexpected {sorted(extra)}.")
        for name, arr in params.items():
            if np.shape(values[name]) != arr.shape:
                raise ValueError(f"Parameter {name} has shape {np.shape(values[name])}, "
                                 f"this network needs {arr.shape}.")
        for name, arr in params.items():
            arr[...] = values[name]

    def astype(self, dtype: Any) -> Sequential:
        """Convert every layer to `dtype` (float32 or float64) in place; return self."""
        check_dtype(dtype)
        for layer in self.layers:
            layer.astype(dtype)
        return self
