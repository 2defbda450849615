"""Conv2D's "einsum" method: the seed article's convolution, and the specification.

An `as_strided` window view of the (padded) input, contracted with `np.einsum`:

    out[n, f, y, x] = sum over c, i, j of  image[n, c, S*y + i, S*x + j] * weights[f, c, i, j]
                      + bias[f]

The weight gradient is another einsum over the same view. The input gradient is the
transposed convolution: the output gradient spread out to stride-1 spacing (S - 1 zeros
between values), framed by K - 1 zeros, and convolved at stride 1 with the kernels flipped
and their channel axes swapped, through the same window view. Every fast method of Conv2D
("cells", "windows", whatever "auto" picks) is tested against this one; it is slow (NumPy's
plain einsum loops) and meant to be read.
"""

from __future__ import annotations

import numpy as np

from .geometry import ConvShape
from .views import window_view


def convolve(image: np.ndarray, weights: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """Convolve an already padded image (N, C, H, W) -> (N, F, OH, OW)."""
    windows = window_view(image, weights.shape[-1], stride)
    return np.einsum("ncyxij,fcij->nfyx", windows, weights) + bias[:, None, None]


def weight_gradients(image: np.ndarray, grad_out: np.ndarray, kernel_size: int,
                     stride: int) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dweights, dL/dbias) from the padded image and dL/d(output)."""
    windows = window_view(image, kernel_size, stride)
    return np.einsum("ncyxij,nfyx->fcij", windows, grad_out), grad_out.sum(axis=(0, 2, 3))


def input_gradient(grad_out: np.ndarray, weights: np.ndarray, stride: int,
                   padded_size: tuple[int, int]) -> np.ndarray:
    """dL/d(padded image) (N, C, H + 2p, W + 2p): the transposed convolution of grad_out."""
    n, f, oh, ow = grad_out.shape
    k = weights.shape[-1]
    height, width = padded_size
    # Pixels past the last window (when (H + 2p - K) is not a multiple of S) get zeros.
    spread = np.zeros((n, f, height + k - 1, width + k - 1), grad_out.dtype)
    spread[:, :, k - 1:k - 1 + stride * oh:stride, k - 1:k - 1 + stride * ow:stride] = grad_out
    flipped = weights[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, F, K, K)
    return convolve(spread, flipped, np.zeros(flipped.shape[0], grad_out.dtype), 1)


#: What forward keeps for backward: the padded input, and the fused ReLU's output or None.
Saved = tuple[np.ndarray, np.ndarray | None]


def forward(shape: ConvShape, x: np.ndarray, weights: np.ndarray, bias: np.ndarray, input_scale: float,
            relu: bool, train: bool) -> tuple[np.ndarray, Saved | None]:
    """conv(input_scale * x), then the optional ReLU; and what backward needs (train)."""
    p = shape.padding
    image = np.pad(input_scale * x.astype(shape.dtype), ((0, 0), (0, 0), (p, p), (p, p)))
    out = convolve(image, weights, bias, shape.stride)
    if relu:
        out = np.maximum(out, 0)
    return out, ((image, out if relu else None) if train else None)


def backward(shape: ConvShape, saved: Saved, grad_out: np.ndarray, weights: np.ndarray, input_scale: float,
             needs_input_grad: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(dL/dweights, dL/dbias, dL/dx or None) from dL/d(output) (N, F, OH, OW)."""
    image, relu_output = saved
    grad = grad_out.astype(shape.dtype)
    if relu_output is not None:
        grad = grad * (relu_output > 0)
    grad_weights, grad_bias = weight_gradients(image, grad, shape.kernel_size, shape.stride)
    if not needs_input_grad:
        return grad_weights, grad_bias, None
    p = shape.padding
    grad_image = input_gradient(grad, weights, shape.stride, image.shape[2:])
    return grad_weights, grad_bias, grad_image[:, :, p:p + shape.height, p:p + shape.width] * input_scale
