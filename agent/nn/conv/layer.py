"""The Conv2D layer: parameters, argument checks, and which method computes a call."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import Layer, Scratch, check_dtype
from ..init import init_weights
from ..parallel import ChunkRunner, default_threads
from . import blank, cells, einsum, windows
from .geometry import ConvShape, conv_output_size

#: Bytes of working set (cells + output + temporaries) per chunk. Measured: 2-8 MB chunks beat
#: L2-sized ones (more, smaller GEMM calls) and whole-batch ones (no overlap across threads).
DEFAULT_CHUNK_BYTES = 4 << 20
#: "auto" takes the windows method when a cell's channel run is shorter than this many bytes
#: (float32: fewer than 32 channels per cell), since per-cell GEMMs are then too narrow...
THIN_CELL_BYTES = 128
#: ...and the window matrix is at most this many times the size of the input cells.
MAX_WINDOW_BLOWUP = 16
METHODS = ("auto", "cells", "windows", "blank", "einsum")
#: The module of each fast method (make_plan, forward, backward).
FAST_METHODS = {"cells": cells, "windows": windows, "blank": blank}


class Conv2D(Layer):
    """Convolution layer with `weights` (F, C, K, K) and `bias` (F,), float32 by default.

    Input (N, C, H, W) -> output (N, F, OH, OW), OH = (H + 2*padding - K) // stride + 1:

        out[n, f, y, x] = bias[f] + sum over c, i, j of
                          weights[f, c, i, j] * padded_input[n, c, stride*y + i, stride*x + j]

    The specification is `method="einsum"` (`agent/nn/conv/einsum.py`): the seed article's
    `as_strided` window view and `np.einsum`, for the forward pass, the weight gradient and
    the input gradient. The fast methods compute the same contraction with hand-chosen
    GEMMs and are tested against it. Fast outputs and input gradients are NCHW-shaped views
    of channels-last memory (the next Conv2D reads that layout without a transposing copy);
    any input layout and float/uint8 dtype is accepted.

    Args:
        in_channels: C, channels of the input.
        num_kernels: F, output channels.
        kernel_size: K, square kernel side.
        stride: S, step between windows (any S >= 1).
        padding: zero rows/columns added on every side.
        rng: the Generator every initial weight is drawn from.
        init: "he" (normal, std gain/sqrt(fan_in)) or "orthogonal" (PPO practice).
        gain: initialisation gain; default sqrt(2) (right for a following ReLU).
        activation: None, or "relu" to fuse a ReLU into the layer (same math as a separate
            ReLU, applied while each chunk is in cache).
        needs_input_grad: False for a first layer: backward then skips the input gradient
            and returns None.
        threads: worker threads for batch chunks (default: usable cores, at most 4); 1 runs
            everything in the calling thread with BLAS threaded as configured.
        input_scale: the layer computes conv(input_scale * x). Folded into the weights, so
            uint8 frames with input_scale=1/255 need no float copy of the batch.
        dtype: float32, or float64 for gradient checks.
        method: how the contraction is computed; results agree up to float rounding.
            "einsum": the specification above, slow (no threads, no chunks).
            "cells": space-to-depth, one GEMM per kernel cell (`cells.py`).
            "windows": one copy of a window view, one deep GEMM (`windows.py`).
            "blank": the cells method over the cells that are not all zero (`blank.py`), for
                a first layer (no input gradient) that sees mostly black frames.
            "auto" (default): windows when space-to-depth cells would be thin, else cells,
                or blank for a first layer reading uint8 frames.
    """

    param_names = ("weights", "bias")

    def __init__(self, in_channels: int, num_kernels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, *, rng: np.random.Generator, init: str = "he",
                 gain: float | None = None, activation: str | None = None,
                 needs_input_grad: bool = True, threads: int | None = None,
                 input_scale: float = 1.0, dtype: Any = np.float32, method: str = "auto") -> None:
        for name, value, low in (("in_channels", in_channels, 1), ("num_kernels", num_kernels, 1),
                                 ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                                 ("padding", padding, 0)):
            if int(value) != value or value < low:
                raise ValueError(f"Conv2D {name} must be an integer >= {low}, got {value!r}.")
        if activation not in (None, "relu"):
            raise ValueError(f"Conv2D activation must be None or 'relu', got {activation!r}.")
        if method not in METHODS:
            raise ValueError(f"Conv2D method must be one of {', '.join(METHODS)}, got {method!r}.")
        if method == "blank" and needs_input_grad:
            raise ValueError("Conv2D method 'blank' computes no input gradient: use it with needs_input_grad=False.")
        self.method = method
        self.in_channels, self.num_kernels = int(in_channels), int(num_kernels)
        self.kernel_size, self.stride, self.padding = int(kernel_size), int(stride), int(padding)
        self.activation = activation
        self.needs_input_grad = bool(needs_input_grad)
        self.input_scale = float(input_scale)
        self.dtype = check_dtype(dtype)
        k = self.kernel_size
        fan_in = self.in_channels * k * k
        self.weights = init_weights(rng, init, self.num_kernels, fan_in, gain, self.dtype).reshape(
            self.num_kernels, self.in_channels, k, k)
        self.bias = np.zeros(self.num_kernels, self.dtype)
        self.grad_weights = np.zeros_like(self.weights)
        self.grad_bias = np.zeros_like(self.bias)
        self.chunk_bytes = DEFAULT_CHUNK_BYTES
        self.threads = default_threads() if threads is None else max(1, int(threads))
        self._runner = ChunkRunner(self.threads)
        self._scratch = Scratch()
        # (method, plan, what that method's forward saved for backward)
        self._saved: tuple[str, ConvShape, Any] | None = None

    def __repr__(self) -> str:
        pad = f" p{self.padding}" if self.padding else ""
        act = ", relu" if self.activation else ""
        return f"Conv2D({self.in_channels}->{self.num_kernels}, k{self.kernel_size} s{self.stride}{pad}{act})"

    def output_shape(self, input_shape: tuple[int, int, int]) -> tuple[int, int, int]:
        """(F, OH, OW) for one (C, H, W) input."""
        _, h, w = input_shape
        k, s, p = self.kernel_size, self.stride, self.padding
        return (self.num_kernels, conv_output_size(h, k, s, p), conv_output_size(w, k, s, p))

    def chosen_method(self, x: np.ndarray | None = None) -> str:
        """The method that computes this layer (for input ``x``): `method`, with "auto" resolved."""
        if self.method != "auto":
            return self.method
        if (x is not None and x.dtype == np.uint8 and not self.needs_input_grad and self.padding == 0
                and self.stride > 1 and x.flags.c_contiguous):
            return "blank"
        s, k = self.stride, self.kernel_size
        thin = self.in_channels * s * s * self.dtype.itemsize < THIN_CELL_BYTES
        return "windows" if thin and k * k <= MAX_WINDOW_BLOWUP * s * s else "cells"

    def _clear(self) -> None:
        self._saved = None
        self._scratch.clear()

    def _shape(self, x: np.ndarray) -> ConvShape:
        """The ConvShape of input x, or ValueError with a sentence when x does not fit."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r} expects input of shape (N, {self.in_channels}, H, W), "
                             f"got {x.shape}.")
        n, _, h, w = x.shape
        shape = ConvShape(n, self.in_channels, h, w, self.num_kernels, self.kernel_size,
                          self.stride, self.padding, self.dtype)
        if shape.out_height < 1 or shape.out_width < 1:
            size = self.kernel_size - 2 * self.padding
            raise ValueError(f"{self!r} needs inputs of at least {size} x {size} pixels, got {h} x {w}.")
        return shape

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """Convolve x (N, C, H, W) -> (N, F, OH, OW) in the layer dtype.

        With train=True what backward needs (the space-to-depth cells, the window matrix or
        the padded input; the output, if ReLU is fused) is kept; with train=False nothing is
        kept and earlier saved state is untouched.
        """
        shape = self._shape(x)
        method = self.chosen_method(x)
        relu = self.activation == "relu"
        if method == "einsum":
            plan: ConvShape = shape
            out, saved = einsum.forward(shape, x, self.weights, self.bias, self.input_scale, relu, train)
        else:
            module = FAST_METHODS[method]
            plan = module.make_plan(shape, x, self.threads, self.chunk_bytes)
            if method == "blank" and plan.fill != "void":  # the input does not tile into whole cells
                if self.method == "blank":
                    raise ValueError(f"{self!r} method 'blank' needs an input that tiles into whole "
                                     f"{self.stride} x {self.stride} cells, got {x.shape[2]} x {x.shape[3]}.")
                method, module = "cells", cells
            out, saved = module.forward(plan, x, self.weights, self.bias, self.input_scale, relu, train,
                                        self._scratch, self._runner)
        if train:
            self._saved = (method, plan, saved)
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        """Given dL/d(output) (N, F, OH, OW), fill grad_weights and grad_bias; return dL/dx.

        dL/dx has the input's shape (N, C, H, W), or is None when needs_input_grad is False.
        """
        if self._saved is None:
            raise RuntimeError(f"{self!r}.backward needs a forward(x, train=True) first.")
        method, plan, saved = self._saved
        if grad_out.shape != plan.output_shape:
            raise ValueError(f"{self!r}.backward expects a gradient of shape {plan.output_shape}, "
                             f"got {grad_out.shape}.")
        if method == "einsum":
            grads = einsum.backward(plan, saved, grad_out, self.weights, self.input_scale,
                                    self.needs_input_grad)
        else:
            module = FAST_METHODS[method]
            grads = module.backward(plan, saved, grad_out, self.weights, self.input_scale,
                                    self.needs_input_grad, self._scratch, self._runner)
        grad_weights, grad_bias, grad_in = grads
        self.grad_weights[...] = grad_weights
        self.grad_bias[...] = grad_bias
        return grad_in
