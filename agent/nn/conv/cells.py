"""Conv2D's "cells" method: space-to-depth, then one GEMM per kernel cell on a window view.

1. Space-to-depth. A stride-S layer is rewritten as a stride-1 layer over S*S times more
   channels: cell (h, w) holds the S x S pixel block at (S*h, S*w), and a K x K kernel
   becomes ceil(K/S) x ceil(K/S) kernel cells (zero-padded when K is not a multiple of S).
   An 8x8 stride-4 layer over 2 channels becomes a 2x2 stride-1 layer over 32 channels. The
   cell buffer is channels-last, so each cell's channel vector is one contiguous run.
2. The window view (`views.cell_window_view`) of the cell buffer needs no copy. Outputs
   are computed on the whole cell grid; the few at the right and bottom edge that have no
   complete window are garbage and never exposed.
3. The contraction `out = einsum('rijc,ijcf->rf', windows, kernel_cells)` is evaluated as a
   sum over kernel cells (i, j) of one GEMM each, `windows[:, i, j] @ kernel[i, j]`. The
   weight gradient contracts the same view with the output gradient (one GEMM per cell);
   the input gradient scatters `grad @ kernel[i, j].T` back by adding shifted slices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import Scratch
from ..parallel import ChunkRunner
from .geometry import ChunkedPlan, ConvShape, ceil_div, computed_kernel_count, images_per_chunk
from .views import cell_window_view


@dataclass(frozen=True)
class CellsPlan(ChunkedPlan):
    """How the cells method computes one input shape."""

    kernel_cells: int    # kernel side in cells: ceil(K / S)
    grid_height: int     # cell-grid height = out_height + kernel_cells - 1
    grid_width: int      # cell-grid width = out_width + kernel_cells - 1
    cell_channels: int   # channels per cell = C * S * S
    fill: str            # how cells are filled: "void" (S-pixel runs of NCHW memory moved as
                         # one item, fast), "direct" (a strided copy) or "padded"
    shifts: tuple[tuple[int, int, int], ...]  # (i, j, flat row shift i*grid_width + j) per kernel cell

    @property
    def channel_order(self) -> str:
        """Order of a cell's channels: (c, a, b) for the void fill, else (a, b, c), where
        (a, b) is the pixel inside the S x S block."""
        return "cab" if self.fill == "void" else "abc"

    @property
    def tail(self) -> int:
        """The largest shift: the last `tail` rows of a chunk's cells start no window."""
        return self.shifts[-1][2]


def make_plan(shape: ConvShape, x: np.ndarray, threads: int, chunk_bytes: int) -> CellsPlan:
    s = shape.stride
    kernel_cells = ceil_div(shape.kernel_size, s)
    grid_height = shape.out_height + kernel_cells - 1
    grid_width = shape.out_width + kernel_cells - 1
    cell_channels = shape.in_channels * s * s
    if shape.padding == 0 and grid_height * s <= shape.height and grid_width * s <= shape.width:
        void_ok = s > 1 and x.flags.c_contiguous and np.can_cast(x.dtype, shape.dtype, "same_kind")
        fill = "void" if void_ok else "direct"
    else:
        fill = "padded"
    bytes_per_image = (grid_height * grid_width * (2 * cell_channels + 2 * shape.num_kernels)
                       * shape.dtype.itemsize)
    shifts = tuple((i, j, i * grid_width + j) for i in range(kernel_cells) for j in range(kernel_cells))
    return CellsPlan(**vars(shape),
                     chunk=images_per_chunk(shape.batch, bytes_per_image, chunk_bytes, threads),
                     computed_kernels=computed_kernel_count(shape.num_kernels, shape.dtype),
                     kernel_cells=kernel_cells, grid_height=grid_height, grid_width=grid_width,
                     cell_channels=cell_channels, fill=fill, shifts=shifts)


# ---------------------------------------------------------------------------- weights <-> cells

def kernel_cells(plan: CellsPlan, weights: np.ndarray, input_scale: float) -> np.ndarray:
    """Weights (F, C, K, K) as (kc*kc, C*S*S, F') matrices, one per kernel cell, rows in the
    plan's channel order; F' = computed_kernels >= F, the extra kernels zero."""
    num_kernels, channels, k, _ = weights.shape
    s, kc, kernels = plan.stride, plan.kernel_cells, plan.computed_kernels
    padded = weights
    if kc * s != k or kernels != num_kernels:  # zero-pad to whole cells (and to F' kernels)
        padded = np.zeros((kernels, channels, kc * s, kc * s), weights.dtype)
        padded[:num_kernels, :, :k, :k] = weights
    # (f, c, i, a, j, b): kernel cell (i, j), pixel (a, b) inside it
    by_cell = padded.reshape(kernels, channels, kc, s, kc, s)
    axes = (2, 4, 1, 3, 5, 0) if plan.channel_order == "cab" else (2, 4, 3, 5, 1, 0)
    cells = np.ascontiguousarray(by_cell.transpose(axes)).reshape(kc * kc, -1, kernels)
    if input_scale != 1.0:
        cells *= input_scale  # conv(scale * x) == conv with scale * weights (bias aside)
    return cells


def weights_from_cells(plan: CellsPlan, cells: np.ndarray, input_scale: float) -> np.ndarray:
    """Adjoint of `kernel_cells`, for gradients: (kc*kc, C*S*S, F') -> (F, C, K, K)."""
    f, c, k, s, kc = plan.num_kernels, plan.in_channels, plan.kernel_size, plan.stride, plan.kernel_cells
    cells = cells[..., :f]
    if input_scale != 1.0:
        cells = cells * input_scale
    if plan.channel_order == "cab":
        weights = cells.reshape(kc, kc, c, s, s, f).transpose(5, 2, 0, 3, 1, 4)
    else:
        weights = cells.reshape(kc, kc, s, s, c, f).transpose(5, 4, 0, 2, 1, 3)
    return weights.reshape(f, c, kc * s, kc * s)[:, :, :k, :k]


# ---------------------------------------------------------------------------- input <-> cells

def _copied_rows_cols(plan: CellsPlan) -> tuple[int, int]:
    """How many input rows and columns lie inside the padded cell grid."""
    p, s = plan.padding, plan.stride
    rows = max(0, min(plan.height, plan.grid_height * s - p))
    cols = max(0, min(plan.width, plan.grid_width * s - p))
    return rows, cols


def stage_cells(plan: CellsPlan, x: np.ndarray, staged: np.ndarray) -> None:
    """The void fill in the input's own dtype: x chunk (n, C, H, W) into staged (n, hc, wc, C*S*S).

    A run of S pixels in a row is moved as one opaque S*itemsize-byte element, so the copy
    moves 16-byte items instead of gathering single floats (3x faster).
    """
    n, s, c = x.shape[0], plan.stride, plan.in_channels
    hc, wc = plan.grid_height, plan.grid_width
    item = np.dtype((np.void, s * x.dtype.itemsize))
    runs = x[:, :, :hc * s, :wc * s].view(item).reshape(n, c, hc, s, wc)
    np.copyto(staged.view(item).reshape(n, hc, wc, c, s), runs.transpose(0, 2, 4, 1, 3))


def fill_cells(plan: CellsPlan, x: np.ndarray, cells: np.ndarray, scratch: Scratch, worker: int) -> None:
    """Space-to-depth: copy input chunk x (n, C, H, W) into cells (n, hc, wc, C*S*S)."""
    n, s, c = x.shape[0], plan.stride, plan.in_channels
    hc, wc = plan.grid_height, plan.grid_width
    if plan.fill == "void":
        # Another input dtype (uint8 frames) is rearranged in its own dtype, then converted.
        if x.dtype == plan.dtype:
            staged = cells
        else:
            staged = scratch.get(f"staged{worker}", (plan.chunk, hc, wc, plan.cell_channels), x.dtype)[:n]
        stage_cells(plan, x, staged)
        if staged is not cells:
            np.copyto(cells, staged, casting="same_kind")
        return
    pixels = x.transpose(0, 2, 3, 1)  # channels-last view; free for channels-last memory
    if plan.fill == "padded":
        p = plan.padding
        image = scratch.get(f"img{worker}", (plan.chunk, hc * s, wc * s, c), plan.dtype, fill=0)[:n]
        rows, cols = _copied_rows_cols(plan)
        image[:, p:p + rows, p:p + cols] = pixels[:, :rows, :cols]  # borders stay zero between calls
        pixels = image
    blocks = pixels[:, :hc * s, :wc * s].reshape(n, hc, s, wc, s, c).transpose(0, 1, 3, 2, 4, 5)
    np.copyto(cells.reshape(n, hc, wc, s, s, c), blocks, casting="same_kind")


def unfill_cells(plan: CellsPlan, cell_grads: np.ndarray, grad_in: np.ndarray, scratch: Scratch,
                 worker: int) -> None:
    """Adjoint of `fill_cells`: write a chunk's cell gradient into the input gradient chunk.

    grad_in is channels-last (n, H, W, C) for channel order "abc" and (n, C, H, W) for "cab";
    it arrives zeroed, so pixels no window touched keep a zero gradient.
    """
    n, s, c = cell_grads.shape[0], plan.stride, plan.in_channels
    hc, wc = plan.grid_height, plan.grid_width
    if plan.channel_order == "cab":
        blocks = cell_grads.reshape(n, hc, wc, c, s, s).transpose(0, 3, 1, 4, 2, 5)
        grad_in[:, :, :hc * s, :wc * s].reshape(n, c, hc, s, wc, s)[...] = blocks
        return
    blocks = cell_grads.reshape(n, hc, wc, s, s, c).transpose(0, 1, 3, 2, 4, 5)
    if plan.fill == "padded":
        p = plan.padding
        image = scratch.get(f"gimg{worker}", (plan.chunk, hc * s, wc * s, c), plan.dtype)[:n]
        image.reshape(n, hc, s, wc, s, c)[...] = blocks
        rows, cols = _copied_rows_cols(plan)
        grad_in[:, :rows, :cols] = image[:, p:p + rows, p:p + cols]
    else:
        grad_in[:, :hc * s, :wc * s].reshape(n, hc, s, wc, s, c)[...] = blocks


# ---------------------------------------------------------------------------- forward / backward

#: What forward keeps for backward: the cells of the whole batch, and the fused ReLU's output
#: (its mask) or None.
Saved = tuple[np.ndarray, np.ndarray | None]


def forward(plan: CellsPlan, x: np.ndarray, weights: np.ndarray, bias: np.ndarray, input_scale: float,
            relu: bool, train: bool, scratch: Scratch, runner: ChunkRunner) -> tuple[np.ndarray, Saved | None]:
    """Output (N, F, OH, OW) as a view of channels-last memory, and what backward needs (train)."""
    dtype, kernels, cell_channels = plan.dtype, plan.computed_kernels, plan.cell_channels
    hc, wc = plan.grid_height, plan.grid_width
    kernel, bias, out = forward_buffers(plan, weights, bias, input_scale)
    saved_cells = scratch.get("saved_cells", (plan.batch, hc, wc, cell_channels), dtype) if train else None
    chunk_rows = plan.chunk * hc * wc

    def task(index: int, worker: int) -> None:
        start, stop = plan.images(index)
        if saved_cells is not None:
            cells = saved_cells[start:stop]
        else:
            cells = scratch.get(f"cells{worker}", (plan.chunk, hc, wc, cell_channels), dtype)[:stop - start]
        term = scratch.get(f"tmp_out{worker}", (chunk_rows, kernels), dtype)
        fill_cells(plan, x[start:stop], cells, scratch, worker)
        windows = cell_window_view(cells.reshape(-1, cell_channels), plan.kernel_cells, wc, plan.tail)
        rows = windows.shape[0]
        out_rows = out[start:stop].reshape(-1, kernels)
        # out_rows[:rows] = einsum('rijc,ijcf->rf', windows, kernel), one GEMM per kernel cell.
        # (Copying the windows into one matrix for a single GEMM was slower on every layer measured.)
        for index_cell, (i, j, _) in enumerate(plan.shifts):
            if index_cell == 0:
                np.matmul(windows[:, i, j], kernel[index_cell], out=out_rows[:rows])
            else:
                np.matmul(windows[:, i, j], kernel[index_cell], out=term[:rows])
                np.add(out_rows[:rows], term[:rows], out=out_rows[:rows])
        finish_rows(out_rows, rows, bias, relu)

    runner.run(task, plan.chunks)
    valid = out[:, :plan.out_height, :plan.out_width, :plan.num_kernels]
    saved = (saved_cells, valid if relu else None) if train else None
    return valid.transpose(0, 3, 1, 2), saved


def backward(plan: CellsPlan, saved: Saved, grad_out: np.ndarray, weights: np.ndarray, input_scale: float,
             needs_input_grad: bool, scratch: Scratch,
             runner: ChunkRunner) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(dL/dweights, dL/dbias, dL/dx or None) from dL/d(output) (N, F, OH, OW)."""
    saved_cells, relu_output = saved
    dtype, kernels, cell_channels = plan.dtype, plan.computed_kernels, plan.cell_channels
    hc, wc = plan.grid_height, plan.grid_width
    grad_nhwc = grad_out.transpose(0, 2, 3, 1)  # channels-last view
    kernel = kernel_cells(plan, weights, input_scale) if needs_input_grad else None
    # Per-chunk partial sums, added in chunk order: the result does not depend on threads.
    kernel_grad_parts = np.empty((plan.chunks, len(plan.shifts), cell_channels, kernels), dtype)
    bias_grad_parts = np.empty((plan.chunks, kernels), dtype)
    chunk_rows = plan.chunk * hc * wc
    ones = scratch.get("ones", (chunk_rows,), dtype, fill=1)
    grad_in = None
    if needs_input_grad:
        c, h, w = plan.in_channels, plan.height, plan.width
        grad_in = np.zeros((plan.batch, c, h, w) if plan.channel_order == "cab" else (plan.batch, h, w, c), dtype)

    def task(index: int, worker: int) -> None:
        start, stop = plan.images(index)
        grad_flat = gradient_rows(plan, grad_nhwc, relu_output, start, stop, scratch, worker)
        np.matmul(ones[:grad_flat.shape[0]], grad_flat, out=bias_grad_parts[index])  # a GEMV beats sum(axis=0)
        windows = cell_window_view(saved_cells[start:stop].reshape(-1, cell_channels), plan.kernel_cells,
                                   wc, plan.tail)
        rows = windows.shape[0]
        grad_rows = grad_flat[:rows]
        # Same window view: grad_kernel[i, j] = einsum('rc,rf->cf', windows[:, i, j], grad).
        for index_cell, (i, j, _) in enumerate(plan.shifts):
            np.matmul(windows[:, i, j].T, grad_rows, out=kernel_grad_parts[index, index_cell])
        if grad_in is None:
            return
        # Scatter: cell row r + shift receives grad[r] @ kernel[i, j].T, one slice per cell.
        cell_grads = scratch.get(f"gcells{worker}", (plan.chunk, hc, wc, cell_channels), dtype)[:stop - start]
        cell_grad_rows = cell_grads.reshape(-1, cell_channels)
        term = scratch.get(f"tmp_in{worker}", (chunk_rows, cell_channels), dtype)
        for index_cell, (_, _, shift) in enumerate(plan.shifts):
            if index_cell == 0:
                np.matmul(grad_rows, kernel[index_cell].T, out=cell_grad_rows[:rows])
                cell_grad_rows[rows:] = 0
            else:
                np.matmul(grad_rows, kernel[index_cell].T, out=term[:rows])
                target = cell_grad_rows[shift:shift + rows]
                np.add(target, term[:rows], out=target)
        unfill_cells(plan, cell_grads, grad_in[start:stop], scratch, worker)

    runner.run(task, plan.chunks)
    grad_weights, grad_bias = parameter_gradients(plan, kernel_grad_parts, bias_grad_parts, input_scale)
    if grad_in is not None and plan.channel_order != "cab":
        grad_in = grad_in.transpose(0, 3, 1, 2)
    return grad_weights, grad_bias, grad_in


# ---------------------------------------------------------------------------- shared with blank.py

def forward_buffers(plan: CellsPlan, weights: np.ndarray, bias: np.ndarray,
                    input_scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kernel cells, bias padded to the computed kernels, the output on the whole cell grid)."""
    kernels = plan.computed_kernels
    if kernels != plan.num_kernels:
        bias = np.pad(bias, (0, kernels - plan.num_kernels))
    out = np.empty((plan.batch, plan.grid_height, plan.grid_width, kernels), plan.dtype)
    return kernel_cells(plan, weights, input_scale), bias, out


def finish_rows(out_rows: np.ndarray, rows: int, bias: np.ndarray, relu: bool) -> None:
    """A chunk's output rows after the GEMMs: edge rows without a window zeroed (never exposed,
    but kept finite), the bias added, the fused ReLU applied."""
    out_rows[rows:] = 0
    out_rows += bias
    if relu:
        np.maximum(out_rows, 0, out=out_rows)


def gradient_rows(plan: CellsPlan, grad_nhwc: np.ndarray, relu_output: np.ndarray | None, start: int, stop: int,
                  scratch: Scratch, worker: int) -> np.ndarray:
    """Images start:stop's output gradient as (rows, F') on the whole cell grid, through the
    fused ReLU's mask; edge positions (and padding kernels) stay zero across calls."""
    hc, wc, kernels = plan.grid_height, plan.grid_width, plan.computed_kernels
    grad_grid = scratch.get(f"gfull{worker}", (plan.chunk, hc, wc, kernels), plan.dtype, fill=0)[:stop - start]
    grad_valid = grad_grid[:, :plan.out_height, :plan.out_width, :plan.num_kernels]
    if relu_output is None:
        np.copyto(grad_valid, grad_nhwc[start:stop], casting="same_kind")
    else:
        np.multiply(grad_nhwc[start:stop], relu_output[start:stop] > 0, out=grad_valid, casting="same_kind")
    return grad_grid.reshape(-1, kernels)


def parameter_gradients(plan: CellsPlan, kernel_grad_parts: np.ndarray, bias_grad_parts: np.ndarray,
                        input_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dweights, dL/dbias) from the per-chunk partial sums, added in chunk order (so the
    result does not depend on the number of threads)."""
    grad_weights = weights_from_cells(plan, kernel_grad_parts.sum(axis=0), input_scale)
    return grad_weights, bias_grad_parts.sum(axis=0)[:plan.num_kernels]
