"""2-D convolution: a read-only strided window view contracted with einsum-style GEMMs.

The seed article computed `einsum('bchwkt,fckt->bfhw', windows, weights)` on an `as_strided`
window view. This keeps that formulation and makes it fast:

1. Space-to-depth. A stride-S layer is rewritten as a stride-1 layer over S*S times more
   channels: input cell (h, w) holds the S x S pixel block at (S*h, S*w), and a K x K kernel
   becomes ceil(K/S) x ceil(K/S) cells (zero-padded when K is not a multiple of S). An 8x8
   stride-4 layer over 2 channels becomes a 2x2 stride-1 layer over 32 channels. The cell
   buffer is channels-last, so each cell's channel vector is one contiguous run.
2. The window view. With stride 1 and channels last, the window at output cell r starts at
   flat row r of the cell buffer, so the whole window view is
   `as_strided(cells, (rows, kc, kc, C'), (C', Wc*C', C', 1))` (in elements): no copy. Output
   positions are computed on the full cell grid; the few at the right and bottom edge that
   have no complete window are garbage and are never exposed.
3. The contraction `out = einsum('rijc,ijcf->rf', windows, kernel_cells)` is evaluated with a
   hand-chosen path: split over kernel cells (i, j), each term `windows[:, i, j] @ kernel[i, j]`
   is one BLAS GEMM on a contiguous slice of the view. The weight gradient is the same view
   contracted with the output gradient (`einsum('rc,rf->cf', ...)` per cell); the input
   gradient scatters `grad @ kernel[i, j].T` back by adding shifted slices, one per cell.
4. The batch is cut into chunks that worker threads process independently (NumPy releases
   the GIL), so copies and adds run on every core, not just the GEMMs; bias (plus an optional
   fused ReLU) is applied to each chunk while it is in cache.

Shapes (N batch, C in_channels, F num_kernels, K kernel_size): input (N, C, H, W), output
(N, F, OH, OW) with OH = (H + 2*padding - K) // stride + 1. Outputs and input gradients are
returned as NCHW-shaped views of channels-last memory; the next Conv2D reads that layout
without a transposing copy. Any input layout and float/uint8 dtype is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .base import Layer, Scratch, check_dtype
from .init import init_weights
from .parallel import ChunkRunner, default_threads

#: Bytes of working set (cells + output + temporaries) per chunk. Measured: 2-8 MB chunks beat
#: L2-sized ones (more, smaller GEMM calls) and whole-batch ones (no overlap across threads).
DEFAULT_CHUNK_BYTES = 4 << 20
#: Smallest chunk worth giving to a worker thread (small batches, e.g. acting, stay whole).
MIN_CHUNK_BYTES = 1 << 20


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output length along one spatial axis: (size + 2*padding - kernel_size) // stride + 1."""
    return (size + 2 * padding - kernel_size) // stride + 1


@dataclass(frozen=True)
class _Plan:
    """Everything about one input shape: sizes, cell grid, chunking and how to fill cells."""

    n: int          # batch size
    h: int          # input height
    w: int          # input width
    oh: int         # output height
    ow: int         # output width
    kc: int         # kernel size in cells: ceil(K / S)
    hc: int         # cell-grid height = oh + kc - 1
    wc: int         # cell-grid width  = ow + kc - 1
    cc: int         # channels per cell = C * S * S
    chunk: int      # images per chunk
    chunks: int     # number of chunks
    shifts: tuple[tuple[int, int, int], ...]  # (i, j, flat row shift i*wc + j) per kernel cell
    tail: int       # largest shift: the last `tail` rows of a chunk have no window
    fp: int         # output channels computed: F, or F rounded up to whole SIMD vectors
    path: str       # how cells are filled: "void" (NCHW, fast), "direct" or "padded"
    order: str      # channel order inside a cell: "cab" (void path) or "abc"


class Conv2D(Layer):
    """Convolution layer with `weights` (F, C, K, K) and `bias` (F,), float32 by default.

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
    """

    param_names = ("weights", "bias")

    def __init__(self, in_channels: int, num_kernels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, *, rng: np.random.Generator, init: str = "he",
                 gain: float | None = None, activation: str | None = None,
                 needs_input_grad: bool = True, threads: int | None = None,
                 input_scale: float = 1.0, dtype: Any = np.float32) -> None:
        for name, value, low in (("in_channels", in_channels, 1), ("num_kernels", num_kernels, 1),
                                 ("kernel_size", kernel_size, 1), ("stride", stride, 1),
                                 ("padding", padding, 0)):
            if int(value) != value or value < low:
                raise ValueError(f"Conv2D {name} must be an integer >= {low}, got {value!r}.")
        if activation not in (None, "relu"):
            raise ValueError(f"Conv2D activation must be None or 'relu', got {activation!r}.")
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
        self._saved: tuple[_Plan, np.ndarray, np.ndarray | None] | None = None

    def __repr__(self) -> str:
        pad = f" p{self.padding}" if self.padding else ""
        act = ", relu" if self.activation else ""
        return f"Conv2D({self.in_channels}->{self.num_kernels}, k{self.kernel_size} s{self.stride}{pad}{act})"

    def output_shape(self, input_shape: tuple[int, int, int]) -> tuple[int, int, int]:
        """(F, OH, OW) for one (C, H, W) input."""
        _, h, w = input_shape
        k, s, p = self.kernel_size, self.stride, self.padding
        return (self.num_kernels, conv_output_size(h, k, s, p), conv_output_size(w, k, s, p))

    def _clear(self) -> None:
        self._saved = None
        self._scratch.clear()

    # ------------------------------------------------------------------ planning

    def _plan(self, x: np.ndarray) -> _Plan:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r} expects input of shape (N, {self.in_channels}, H, W), "
                             f"got {x.shape}.")
        n, c, h, w = x.shape
        k, s, p = self.kernel_size, self.stride, self.padding
        oh, ow = conv_output_size(h, k, s, p), conv_output_size(w, k, s, p)
        if oh < 1 or ow < 1:
            raise ValueError(f"{self!r} needs inputs of at least {k - 2 * p} x {k - 2 * p} pixels, "
                             f"got {h} x {w}.")
        kc = -(-k // s)
        hc, wc, cc = oh + kc - 1, ow + kc - 1, c * s * s
        if p == 0 and hc * s <= h and wc * s <= w:
            void_ok = s > 1 and x.flags.c_contiguous and np.can_cast(x.dtype, self.dtype, "same_kind")
            path, order = ("void", "cab") if void_ok else ("direct", "abc")
        else:
            path, order = "padded", "abc"
        per_image = hc * wc * (2 * cc + 2 * self.num_kernels) * self.dtype.itemsize
        chunk = max(1, min(n, self.chunk_bytes // per_image))
        if self.threads > 1:
            # At least two chunks per worker (a slow worker can be helped), unless chunks
            # would get so small that handing them to threads costs more than it saves.
            balanced = -(-n // (2 * self.threads))
            chunk = min(chunk, max(balanced, -(-MIN_CHUNK_BYTES // per_image)))
        shifts = tuple((i, j, i * wc + j) for i in range(kc) for j in range(kc))
        # OpenBLAS is ~1.5x faster when the GEMM's output width is a whole number of 64-byte
        # vectors (15 -> 16 columns); pad with zero kernels when that wastes little.
        f, lanes = self.num_kernels, 64 // self.dtype.itemsize
        fp = -(-f // lanes) * lanes
        fp = fp if fp - f <= f // 4 else f
        return _Plan(n, h, w, oh, ow, kc, hc, wc, cc, int(chunk), -(-n // chunk), shifts,
                     shifts[-1][2], fp, path, order)

    def _kernel_cells(self, order: str, fp: int) -> np.ndarray:
        """Weights rearranged to (kc*kc, C*S*S, fp): one (cell channels, F) matrix per kernel
        cell; fp >= F output channels, the extra ones zero."""
        f, c, k, _ = self.weights.shape
        s = self.stride
        kc = -(-k // s)
        w = self.weights
        if kc * s != k or fp != f:  # zero-pad the kernel to whole cells (and to fp kernels)
            w = np.zeros((fp, c, kc * s, kc * s), self.dtype)
            w[:f, :, :k, :k] = self.weights
            f = fp
        w6 = w.reshape(f, c, kc, s, kc, s)  # (f, c, i, a, j, b): cell (i, j), pixel (a, b) inside it
        axes = (2, 4, 1, 3, 5, 0) if order == "cab" else (2, 4, 3, 5, 1, 0)
        cells = np.ascontiguousarray(w6.transpose(axes)).reshape(kc * kc, -1, f)
        if self.input_scale != 1.0:
            cells *= self.input_scale  # conv(scale * x) == conv with scale * weights (bias aside)
        return cells

    def _weights_from_cells(self, cells: np.ndarray, order: str) -> np.ndarray:
        """Adjoint of `_kernel_cells` for gradients: (kc*kc, C*S*S, fp) -> (F, C, K, K)."""
        f, c, k, _ = self.weights.shape
        cells = cells[..., :f]
        s = self.stride
        kc = -(-k // s)
        if self.input_scale != 1.0:
            cells = cells * self.input_scale
        if order == "cab":
            w = cells.reshape(kc, kc, c, s, s, f).transpose(5, 2, 0, 3, 1, 4)
        else:
            w = cells.reshape(kc, kc, s, s, c, f).transpose(5, 4, 0, 2, 1, 3)
        return w.reshape(f, c, kc * s, kc * s)[:, :, :k, :k]

    # ------------------------------------------------------------------ cells

    def _fill_cells(self, plan: _Plan, x: np.ndarray, cells: np.ndarray, worker: int) -> None:
        """Space-to-depth: copy input chunk x (n, C, H, W) into cells (n, hc, wc, C*S*S)."""
        n, s, c = x.shape[0], self.stride, self.in_channels
        hc, wc = plan.hc, plan.wc
        if plan.path == "void":
            # A run of S pixels in a row is moved as one opaque S*itemsize-byte element, so the
            # copy moves 16-byte items instead of gathering single floats (3x faster).
            # Another input dtype (uint8 frames) is rearranged in its own dtype, then converted.
            item = np.dtype((np.void, s * x.dtype.itemsize))
            v = x[:, :, :hc * s, :wc * s].view(item).reshape(n, c, hc, s, wc)
            if x.dtype == self.dtype:
                staged = cells
            else:
                staged = self._scratch.get(f"staged{worker}", (plan.chunk, hc, wc, plan.cc), x.dtype)[:n]
            np.copyto(staged.view(item).reshape(n, hc, wc, c, s), v.transpose(0, 2, 4, 1, 3))
            if staged is not cells:
                np.copyto(cells, staged, casting="same_kind")
            return
        xh = x.transpose(0, 2, 3, 1)  # channels-last view; free for channels-last memory
        if plan.path == "padded":
            p = self.padding
            img = self._scratch.get(f"img{worker}", (plan.chunk, hc * s, wc * s, c), self.dtype, fill=0)[:n]
            rows, cols = max(0, min(plan.h, hc * s - p)), max(0, min(plan.w, wc * s - p))
            img[:, p:p + rows, p:p + cols] = xh[:, :rows, :cols]  # borders stay zero between calls
            xh = img
        src = xh[:, :hc * s, :wc * s].reshape(n, hc, s, wc, s, c).transpose(0, 1, 3, 2, 4, 5)
        np.copyto(cells.reshape(n, hc, wc, s, s, c), src, casting="same_kind")

    def _unfill_cells(self, plan: _Plan, gcells: np.ndarray, grad_in: np.ndarray, worker: int) -> None:
        """Adjoint of `_fill_cells`: write a chunk's cell gradient into the input gradient chunk.

        grad_in is channels-last (n, H, W, C) for order "abc" and (n, C, H, W) for "cab"; it
        arrives zeroed, so pixels no window touched keep a zero gradient.
        """
        n, s, c = gcells.shape[0], self.stride, self.in_channels
        hc, wc = plan.hc, plan.wc
        if plan.order == "cab":
            src = gcells.reshape(n, hc, wc, c, s, s).transpose(0, 3, 1, 4, 2, 5)
            grad_in[:, :, :hc * s, :wc * s].reshape(n, c, hc, s, wc, s)[...] = src
            return
        src = gcells.reshape(n, hc, wc, s, s, c).transpose(0, 1, 3, 2, 4, 5)
        if plan.path == "padded":
            p = self.padding
            img = self._scratch.get(f"gimg{worker}", (plan.chunk, hc * s, wc * s, c), self.dtype)[:n]
            img.reshape(n, hc, s, wc, s, c)[...] = src
            rows, cols = max(0, min(plan.h, hc * s - p)), max(0, min(plan.w, wc * s - p))
            grad_in[:, :rows, :cols] = img[:, p:p + rows, p:p + cols]
        else:
            grad_in[:, :hc * s, :wc * s].reshape(n, hc, s, wc, s, c)[...] = src

    @staticmethod
    def _windows(cells_flat: np.ndarray, plan: _Plan) -> np.ndarray:
        """Read-only window view (rows, kc, kc, C*S*S) of a chunk's flat cells (rows+tail, C*S*S).

        windows[r, i, j] is cell row r + i*wc + j: the cell (i, j) of the window whose output
        is flat row r. Rows are contiguous C*S*S runs, so every windows[:, i, j] is BLAS-ready.
        """
        rows = cells_flat.shape[0] - plan.tail
        row, item = cells_flat.strides
        return as_strided(cells_flat, (rows, plan.kc, plan.kc, plan.cc),
                          (row, plan.wc * row, row, item), writeable=False)

    # ------------------------------------------------------------------ forward / backward

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """Convolve x (N, C, H, W) -> (N, F, OH, OW) in the layer dtype.

        With train=True the space-to-depth input (and the output, if ReLU is fused) is kept
        for `backward`; with train=False nothing is kept and earlier saved state is untouched.
        """
        plan = self._plan(x)
        dt, f, cc = self.dtype, plan.fp, plan.cc
        kernel = self._kernel_cells(plan.order, f)
        bias = self.bias if f == self.num_kernels else np.pad(self.bias, (0, f - self.num_kernels))
        out = np.empty((plan.n, plan.hc, plan.wc, f), dt)
        saved_cells = self._scratch.get("saved_cells", (plan.n, plan.hc, plan.wc, cc), dt) if train else None
        chunk_rows = plan.chunk * plan.hc * plan.wc
        relu = self.activation == "relu"

        def task(k: int, worker: int) -> None:
            s0, s1 = k * plan.chunk, min(plan.n, (k + 1) * plan.chunk)
            if saved_cells is not None:
                cells = saved_cells[s0:s1]
            else:
                cells = self._scratch.get(f"cells{worker}", (plan.chunk, plan.hc, plan.wc, cc), dt)[:s1 - s0]
            tmp = self._scratch.get(f"tmp_out{worker}", (chunk_rows, f), dt)
            self._fill_cells(plan, x[s0:s1], cells, worker)
            win = self._windows(cells.reshape(-1, cc), plan)
            rows = win.shape[0]
            of = out[s0:s1].reshape(-1, f)
            # of[:rows] = einsum('rijc,ijcf->rf', win, kernel), one GEMM per kernel cell. (Copying
            # the windows into one matrix for a single GEMM was slower on every layer measured.)
            for idx, (i, j, _) in enumerate(plan.shifts):
                if idx == 0:
                    np.matmul(win[:, i, j], kernel[idx], out=of[:rows])
                else:
                    np.matmul(win[:, i, j], kernel[idx], out=tmp[:rows])
                    np.add(of[:rows], tmp[:rows], out=of[:rows])
            of[rows:] = 0  # edge rows without a window: never exposed, but keep them finite
            of += bias
            if relu:
                np.maximum(of, 0, out=of)

        self._runner.run(task, plan.chunks)
        valid = out[:, :plan.oh, :plan.ow, :self.num_kernels]
        if train:
            self._saved = (plan, saved_cells, valid if relu else None)
        return valid.transpose(0, 3, 1, 2)

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        """Given dL/d(output) (N, F, OH, OW), fill grad_weights and grad_bias; return dL/dx.

        dL/dx has the input's shape (N, C, H, W), or is None when needs_input_grad is False.
        """
        if self._saved is None:
            raise RuntimeError(f"{self!r}.backward needs a forward(x, train=True) first.")
        plan, saved_cells, relu_out = self._saved
        if grad_out.shape != (plan.n, self.num_kernels, plan.oh, plan.ow):
            raise ValueError(f"{self!r}.backward expects a gradient of shape "
                             f"{(plan.n, self.num_kernels, plan.oh, plan.ow)}, got {grad_out.shape}.")
        dt, f, cc = self.dtype, plan.fp, plan.cc
        gh = grad_out.transpose(0, 2, 3, 1)  # channels-last view
        kernel = self._kernel_cells(plan.order, f) if self.needs_input_grad else None
        # Per-chunk partial sums, added in chunk order: the result does not depend on threads.
        gkernel_parts = np.empty((plan.chunks, len(plan.shifts), cc, f), dt)
        gbias_parts = np.empty((plan.chunks, f), dt)
        chunk_rows = plan.chunk * plan.hc * plan.wc
        ones = self._scratch.get("ones", (chunk_rows,), dt, fill=1)
        grad_in = None
        if self.needs_input_grad:
            c = self.in_channels
            shape = (plan.n, c, plan.h, plan.w) if plan.order == "cab" else (plan.n, plan.h, plan.w, c)
            grad_in = np.zeros(shape, dt)

        def task(k: int, worker: int) -> None:
            s0, s1 = k * plan.chunk, min(plan.n, (k + 1) * plan.chunk)
            # Output gradient on the full cell grid; edge positions (and padding kernels) stay
            # zero across calls.
            gf = self._scratch.get(f"gfull{worker}", (plan.chunk, plan.hc, plan.wc, f), dt, fill=0)[:s1 - s0]
            gv = gf[:, :plan.oh, :plan.ow, :self.num_kernels]
            if relu_out is None:
                np.copyto(gv, gh[s0:s1], casting="same_kind")
            else:
                np.multiply(gh[s0:s1], relu_out[s0:s1] > 0, out=gv, casting="same_kind")
            gflat = gf.reshape(-1, f)
            np.matmul(ones[:gflat.shape[0]], gflat, out=gbias_parts[k])  # a GEMV beats sum(axis=0)
            win = self._windows(saved_cells[s0:s1].reshape(-1, cc), plan)
            rows = win.shape[0]
            g_rows = gflat[:rows]
            # Same window view: grad_kernel[i, j] = einsum('rc,rf->cf', win[:, i, j], grad).
            for idx, (i, j, _) in enumerate(plan.shifts):
                np.matmul(win[:, i, j].T, g_rows, out=gkernel_parts[k, idx])
            if grad_in is None:
                return
            # Scatter: cell row r + shift receives grad[r] @ kernel[i, j].T, one slice per cell.
            gcells = self._scratch.get(f"gcells{worker}", (plan.chunk, plan.hc, plan.wc, cc), dt)[:s1 - s0]
            gc = gcells.reshape(-1, cc)
            tmp = self._scratch.get(f"tmp_in{worker}", (chunk_rows, cc), dt)
            for idx, (_, _, shift) in enumerate(plan.shifts):
                if idx == 0:
                    np.matmul(g_rows, kernel[idx].T, out=gc[:rows])
                    gc[rows:] = 0
                else:
                    np.matmul(g_rows, kernel[idx].T, out=tmp[:rows])
                    np.add(gc[shift:shift + rows], tmp[:rows], out=gc[shift:shift + rows])
            self._unfill_cells(plan, gcells, grad_in[s0:s1], worker)

        self._runner.run(task, plan.chunks)
        self.grad_weights[...] = self._weights_from_cells(gkernel_parts.sum(axis=0), plan.order)
        self.grad_bias[...] = gbias_parts.sum(axis=0)[:self.num_kernels]
        if grad_in is None:
            return None
        return grad_in if plan.order == "cab" else grad_in.transpose(0, 3, 1, 2)
