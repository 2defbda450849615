"""Conv2D's "blank" method: the cells method over the cells that are not blank.

The agent's frames are mostly black: about 2 % of the pixels and 17 % of the 4 x 4 x 4-channel
space-to-depth cells of the first layer are not zero (measured on training observations). A
blank cell adds nothing to any output and nothing to the weight gradient, so this method
computes the cells method's sums (`cells.py`) over the other cells only:

1. Space-to-depth in the input's own dtype (uint8 frames stay one byte a value), then the rows
   of the cell matrix that hold a non-zero value: ``nz``, and those rows ``a`` as floats.
2. Forward: for each kernel cell (i, j) with flat shift s, ``a @ kernel[i, j]`` is added into
   output rows ``nz - s``. The kernel cells are added in the cells method's order, and a blank
   cell's term is an exact zero there, so the outputs are the cells method's to the bit.
3. Weight gradient: ``a.T @ grad[nz - s]`` per kernel cell; only the order of the additions
   changes (fewer of them), so it agrees with the other methods up to float rounding.

For a first layer only (no input gradient: frames are not learned), which is where blank
inputs are; "auto" takes it for such a layer whenever the cells method would compute it.
"""

from __future__ import annotations

import numpy as np

from ..base import Scratch
from ..parallel import ChunkRunner
from .cells import (CellsPlan, finish_rows, forward_buffers, gradient_rows, make_plan, parameter_gradients,
                    stage_cells)

__all__ = ["make_plan", "forward", "backward"]

#: What forward keeps for backward: per chunk (rows of non-blank cells, those cells as floats),
#: and the fused ReLU's output (its mask) or None.
Saved = tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray | None]


def nonblank_rows(cells: np.ndarray) -> np.ndarray:
    """Indices of the rows of a (rows, channels) cell matrix that hold a non-zero value."""
    rows, width = cells.shape
    if cells.dtype.itemsize * width % 8 == 0 and cells.flags.c_contiguous:
        words = cells.view(np.uint64)  # eight bytes tested at once, OR-ed column by column (an
        found = words[:, 0].copy()     # any() along a short axis is several times slower)
        for column in range(1, words.shape[1]):
            found |= words[:, column]
        return np.flatnonzero(found)
    return np.flatnonzero(cells.any(axis=1))


def forward(plan: CellsPlan, x: np.ndarray, weights: np.ndarray, bias: np.ndarray, input_scale: float,
            relu: bool, train: bool, scratch: Scratch, runner: ChunkRunner) -> tuple[np.ndarray, Saved | None]:
    """Output (N, F, OH, OW) as a view of channels-last memory, and what backward needs (train)."""
    dtype, kernels, cell_channels = plan.dtype, plan.computed_kernels, plan.cell_channels
    hc, wc = plan.grid_height, plan.grid_width
    kernel, bias, out = forward_buffers(plan, weights, bias, input_scale)
    kept: list[tuple[np.ndarray, np.ndarray]] = [None] * plan.chunks  # type: ignore[list-item]

    def task(index: int, worker: int) -> None:
        start, stop = plan.images(index)
        staged = scratch.get(f"staged{worker}", (plan.chunk, hc, wc, cell_channels), x.dtype)[:stop - start]
        stage_cells(plan, x[start:stop], staged)
        flat = staged.reshape(-1, cell_channels)
        nz = nonblank_rows(flat)
        a = flat[nz].astype(dtype)
        out_rows = out[start:stop].reshape(-1, kernels)
        out_rows[...] = 0
        for index_cell, (_, _, shift) in enumerate(plan.shifts):
            first = int(np.searchsorted(nz, shift))  # cells before the shift start no window
            out_rows[nz[first:] - shift] += a[first:] @ kernel[index_cell]
        finish_rows(out_rows, len(out_rows) - plan.tail, bias, relu)
        if train:
            kept[index] = (nz, a)

    runner.run(task, plan.chunks)
    valid = out[:, :plan.out_height, :plan.out_width, :plan.num_kernels]
    saved = (kept, valid if relu else None) if train else None
    return valid.transpose(0, 3, 1, 2), saved


def backward(plan: CellsPlan, saved: Saved, grad_out: np.ndarray, weights: np.ndarray, input_scale: float,
             needs_input_grad: bool, scratch: Scratch,
             runner: ChunkRunner) -> tuple[np.ndarray, np.ndarray, None]:
    """(dL/dweights, dL/dbias, None) from dL/d(output) (N, F, OH, OW)."""
    if needs_input_grad:
        raise ValueError("the blank method computes no input gradient (it is for a first layer)")
    kept, relu_output = saved
    dtype, kernels, cell_channels = plan.dtype, plan.computed_kernels, plan.cell_channels
    hc, wc = plan.grid_height, plan.grid_width
    grad_nhwc = grad_out.transpose(0, 2, 3, 1)  # channels-last view
    # Per-chunk partial sums, added in chunk order: the result does not depend on threads.
    kernel_grad_parts = np.zeros((plan.chunks, len(plan.shifts), cell_channels, kernels), dtype)
    bias_grad_parts = np.empty((plan.chunks, kernels), dtype)
    ones = scratch.get("ones", (plan.chunk * hc * wc,), dtype, fill=1)

    def task(index: int, worker: int) -> None:
        start, stop = plan.images(index)
        grad_flat = gradient_rows(plan, grad_nhwc, relu_output, start, stop, scratch, worker)
        np.matmul(ones[:grad_flat.shape[0]], grad_flat, out=bias_grad_parts[index])
        nz, a = kept[index]
        for index_cell, (_, _, shift) in enumerate(plan.shifts):
            first = int(np.searchsorted(nz, shift))
            np.matmul(a[first:].T, grad_flat[nz[first:] - shift], out=kernel_grad_parts[index, index_cell])

    runner.run(task, plan.chunks)
    return (*parameter_gradients(plan, kernel_grad_parts, bias_grad_parts, input_scale), None)
