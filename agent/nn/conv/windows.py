"""Conv2D's "windows" method: one copy of a window view, then one deep GEMM.

For layers with thin cells (few channels per space-to-depth cell, e.g. the seed article's
3-channel stride-2 layer, 12 per cell) each per-cell GEMM of the cells method is too narrow
for BLAS to run well. Here the window view is built on the input itself, each run of K
pixels along a kernel row viewed as one opaque K*itemsize-byte item (`views.pixel_run_view`).
One copy of that view lays the windows out as a (positions, C*K*K) matrix (im2col), and the
contraction `einsum('rk,kf->rf', windows, weights)` is a single GEMM with a deep inner
dimension. The window matrix carries a last column of ones and the kernel matrix the bias as
its last row, so the GEMM adds the bias (a separate pass cost 40% of the GEMM's time) and
backward's `windows.T @ grad` yields the bias gradient as its last row.
Backward: the weight gradient is `windows.T @ grad`; the input gradient scatters
`grad @ weights.T` back with one strided add per kernel offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import Scratch
from ..parallel import ChunkRunner
from .geometry import ChunkedPlan, ConvShape, computed_kernel_count, images_per_chunk
from .views import pixel_run_view

#: This method's working set per image is larger; 2-3 MB chunks measured best on the seed
#: case (1.5 MB and 4 MB were 10-20 % slower).
WINDOWS_CHUNK_BYTES = 2 << 20


@dataclass(frozen=True)
class WindowsPlan(ChunkedPlan):
    """How the windows method computes one input shape."""

    window_size: int   # C * K * K: one window's pixels, a row of the window matrix
    copy_input: bool   # the chunk is first copied into padded, contiguous images in the layer dtype

    @property
    def positions(self) -> int:
        """Output positions per image: OH * OW."""
        return self.out_height * self.out_width


def make_plan(shape: ConvShape, x: np.ndarray, threads: int, chunk_bytes: int) -> WindowsPlan:
    # Runs of K pixels must be contiguous in the layer dtype: otherwise copy the chunk.
    p = shape.padding
    copy_input = p > 0 or not x.flags.c_contiguous or x.dtype != shape.dtype
    window_size = shape.in_channels * shape.kernel_size ** 2
    kernels = computed_kernel_count(shape.num_kernels, shape.dtype)
    image = shape.in_channels * (shape.height + 2 * p) * (shape.width + 2 * p) if copy_input else 0
    bytes_per_image = (shape.out_height * shape.out_width * (2 * window_size + 2 * kernels)
                       + 2 * image) * shape.dtype.itemsize
    chunk = images_per_chunk(shape.batch, bytes_per_image, min(chunk_bytes, WINDOWS_CHUNK_BYTES), threads)
    return WindowsPlan(**vars(shape), chunk=chunk, computed_kernels=kernels, window_size=window_size,
                       copy_input=copy_input)


def kernel_matrix(plan: WindowsPlan, weights: np.ndarray, bias: np.ndarray | None,
                  input_scale: float) -> np.ndarray:
    """Weights as one (C*K*K, F') matrix, rows in (c, a, b) order like a window's pixels;
    with a bias, that bias is appended as a last row (for window matrices with a ones column)."""
    f, size = plan.num_kernels, plan.window_size
    matrix = np.zeros((size + int(bias is not None), plan.computed_kernels), plan.dtype)
    matrix[:size, :f] = weights.reshape(f, -1).T
    if input_scale != 1.0:
        matrix[:size] *= input_scale
    if bias is not None:
        matrix[size, :f] = bias
    return matrix


def _padded_images(plan: WindowsPlan, x: np.ndarray, scratch: Scratch, worker: int) -> np.ndarray:
    """The chunk as contiguous (n, C, H + 2p, W + 2p) images in the layer dtype."""
    if not plan.copy_input:
        return x
    p, n = plan.padding, x.shape[0]
    shape = (plan.chunk, plan.in_channels, plan.height + 2 * p, plan.width + 2 * p)
    images = scratch.get(f"wimg{worker}", shape, plan.dtype, fill=0)[:n]
    np.copyto(images[:, :, p:p + plan.height, p:p + plan.width], x, casting="unsafe")  # borders stay 0
    return images


#: What forward keeps for backward: the window matrix of the whole batch (with its ones
#: column), and the fused ReLU's output (its mask) or None.
Saved = tuple[np.ndarray, np.ndarray | None]


def forward(plan: WindowsPlan, x: np.ndarray, weights: np.ndarray, bias: np.ndarray, input_scale: float,
            relu: bool, train: bool, scratch: Scratch, runner: ChunkRunner) -> tuple[np.ndarray, Saved | None]:
    """Output (N, F, OH, OW) as a view of channels-last memory, and what backward needs (train)."""
    dtype, kernels, size, positions = plan.dtype, plan.computed_kernels, plan.window_size, plan.positions
    # Window matrices get their ones column when a buffer is made; copies write only the
    # first `size` columns.
    matrix = kernel_matrix(plan, weights, bias, input_scale)
    out = np.empty((plan.batch, plan.out_height, plan.out_width, kernels), dtype)
    saved = scratch.get("saved_windows", (plan.batch * positions, size + 1), dtype, fill=1) if train else None
    item = np.dtype((np.void, plan.kernel_size * dtype.itemsize))

    def task(index: int, worker: int) -> None:
        start, stop = plan.images(index)
        if saved is not None:
            windows = saved[start * positions:stop * positions]
        else:
            windows = scratch.get(f"windows{worker}", (plan.chunk * positions, size + 1), dtype, fill=1)
            windows = windows[:(stop - start) * positions]
        runs = pixel_run_view(_padded_images(plan, x[start:stop], scratch, worker),
                              plan.out_height, plan.out_width, plan.kernel_size, plan.stride)
        # Splitting both axes of the (rows, C*K) run slots is always a view, never a copy.
        np.copyto(windows[:, :size].view(item).reshape(runs.shape), runs)
        out_rows = out[start:stop].reshape(-1, kernels)
        np.matmul(windows, matrix, out=out_rows)  # einsum('rk,kf->rf', windows, weights) + bias
        if relu:
            np.maximum(out_rows, 0, out=out_rows)

    runner.run(task, plan.chunks)
    valid = out[..., :plan.num_kernels]
    return valid.transpose(0, 3, 1, 2), ((saved, valid if relu else None) if train else None)


def backward(plan: WindowsPlan, saved: Saved, grad_out: np.ndarray, weights: np.ndarray, input_scale: float,
             needs_input_grad: bool, scratch: Scratch,
             runner: ChunkRunner) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(dL/dweights, dL/dbias, dL/dx or None) from dL/d(output) (N, F, OH, OW)."""
    saved_windows, relu_output = saved
    dtype, kernels, size, positions = plan.dtype, plan.computed_kernels, plan.window_size, plan.positions
    f, c, k, s, p = plan.num_kernels, plan.in_channels, plan.kernel_size, plan.stride, plan.padding
    oh, ow, h, w = plan.out_height, plan.out_width, plan.height, plan.width
    grad_nhwc = grad_out.transpose(0, 2, 3, 1)  # channels-last view
    matrix_t = kernel_matrix(plan, weights, None, input_scale).T if needs_input_grad else None
    weight_grad_parts = np.empty((plan.chunks, size + 1, kernels), dtype)  # last row: the bias gradient
    grad_in = np.zeros((plan.batch, c, h, w), dtype) if needs_input_grad else None

    def task(index: int, worker: int) -> None:
        start, stop = plan.images(index)
        n = stop - start
        # The padding kernels' gradient columns stay zero across calls.
        grad_4d = scratch.get(f"wgrad{worker}", (plan.chunk, oh, ow, kernels), dtype, fill=0)[:n]
        grad_valid = grad_4d[..., :f]
        if relu_output is None:
            np.copyto(grad_valid, grad_nhwc[start:stop], casting="same_kind")
        else:
            np.multiply(grad_nhwc[start:stop], relu_output[start:stop] > 0, out=grad_valid, casting="same_kind")
        grad_rows = grad_4d.reshape(-1, kernels)
        windows = saved_windows[start * positions:stop * positions]
        np.matmul(windows.T, grad_rows, out=weight_grad_parts[index])  # einsum('rk,rf->kf', windows, grad)
        if grad_in is None:
            return
        window_grads = scratch.get(f"gwindows{worker}", (plan.chunk * positions, size), dtype)[:n * positions]
        np.matmul(grad_rows, matrix_t, out=window_grads)
        by_offset = window_grads.reshape(n, oh, ow, c, k, k).transpose(0, 3, 1, 2, 4, 5)
        if p == 0:
            image_grad = grad_in[start:stop]  # arrives zeroed
        else:
            image_grad = scratch.get(f"gwimg{worker}", (plan.chunk, c, h + 2 * p, w + 2 * p), dtype)[:n]
            image_grad[...] = 0
        # Each window adds back where it read: one strided add per kernel offset (a, b).
        rows, cols = s * (oh - 1) + 1, s * (ow - 1) + 1
        for a in range(k):
            for b in range(k):
                target = image_grad[:, :, a:a + rows:s, b:b + cols:s]
                np.add(target, by_offset[..., a, b], out=target)
        if p:
            grad_in[start:stop] = image_grad[:, :, p:p + h, p:p + w]

    runner.run(task, plan.chunks)
    total = weight_grad_parts.sum(axis=0)
    grad_weights = (total[:size, :f].T * input_scale).reshape(weights.shape)
    return grad_weights, total[size, :f], grad_in
