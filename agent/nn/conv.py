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
4. Thin cells (few channels per cell, e.g. the seed article's 3-channel stride-2 layer, 12
   per cell) make each per-cell GEMM too narrow for BLAS to run well. Such layers take the
   "windows" path instead: the window view is built on the input itself, with each run of
   K pixels along a kernel row viewed as one opaque K*itemsize-byte item, so
   `windows[n, oy, ox, c, a]` is the K-pixel run (c, S*oy + a, S*ox .. S*ox + K - 1). One
   copy of that view lays the windows out as a (positions, C*K*K) matrix and the contraction
   `einsum('rk,kf->rf', windows, weights)` is a single GEMM with a deep inner dimension.
   Backward: the weight gradient is `windows.T @ grad`, the input gradient scatters
   `grad @ weights.T` back with one strided add per kernel offset.
5. The batch is cut into chunks that worker threads process independently (NumPy releases
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
#: "auto" takes the windows path when a cell's channel run is shorter than this many bytes
#: (float32: fewer than 32 channels per cell), since per-cell GEMMs are then too narrow...
THIN_CELL_BYTES = 128
#: ...and the window matrix is at most this many times the size of the input cells.
MAX_WINDOW_BLOWUP = 16
METHODS = ("auto", "cells", "windows")
#: The windows path's working set per chunk is larger per image; 2-3 MB chunks measured best
#: on the seed case (1.5 MB and 4 MB were 10-20 % slower).
WINDOWS_CHUNK_BYTES = 2 << 20


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
    path: str       # "windows" (see module doc, 4.), or how cells are filled: "void" (NCHW,
                    # fast), "direct" or "padded"
    order: str      # channel order inside a cell: "cab" (void path) or "abc"
    copy: bool = False  # windows path: the chunk is first copied into a padded NCHW image


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
        method: "cells" (space-to-depth, one GEMM per kernel cell), "windows" (one copy of
            the window view, one GEMM) or "auto": windows when cells would be thin. Same
            results either way (up to float rounding); only speed differs.
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
        # OpenBLAS is ~1.5x faster when the GEMM's output width is a whole number of 64-byte
        # vectors (15 -> 16 columns); pad with zero kernels when that wastes little.
        f, lanes = self.num_kernels, 64 // self.dtype.itemsize
        fp = -(-f // lanes) * lanes
        fp = fp if fp - f <= f // 4 else f
        itemsize = self.dtype.itemsize
        method = self.method
        if method == "auto":
            thin = c * s * s * itemsize < THIN_CELL_BYTES
            method = "windows" if thin and k * k <= MAX_WINDOW_BLOWUP * s * s else "cells"
        if method == "windows":
            # Runs of K pixels must be contiguous in the layer dtype: otherwise copy the chunk.
            copy = p > 0 or not x.flags.c_contiguous or x.dtype != self.dtype
            cw = c * k * k
            image = c * (h + 2 * p) * (w + 2 * p) if copy else 0
            per_image = (oh * ow * (2 * cw + 2 * fp) + 2 * image) * itemsize
            chunk = self._chunk_size(n, per_image, min(self.chunk_bytes, WINDOWS_CHUNK_BYTES))
            return _Plan(n, h, w, oh, ow, k, oh, ow, cw, chunk, -(-n // chunk), (), 0, fp,
                         "windows", "abc", copy)
        kc = -(-k // s)
        hc, wc, cc = oh + kc - 1, ow + kc - 1, c * s * s
        if p == 0 and hc * s <= h and wc * s <= w:
            void_ok = s > 1 and x.flags.c_contiguous and np.can_cast(x.dtype, self.dtype, "same_kind")
            path, order = ("void", "cab") if void_ok else ("direct", "abc")
        else:
            path, order = "padded", "abc"
        per_image = hc * wc * (2 * cc + 2 * self.num_kernels) * itemsize
        chunk = self._chunk_size(n, per_image, self.chunk_bytes)
        shifts = tuple((i, j, i * wc + j) for i in range(kc) for j in range(kc))
        return _Plan(n, h, w, oh, ow, kc, hc, wc, cc, chunk, -(-n // chunk), shifts,
                     shifts[-1][2], fp, path, order)

    def _chunk_size(self, n: int, per_image: int, chunk_bytes: int) -> int:
        """Images per chunk: about chunk_bytes of working set, enough chunks for the threads."""
        chunk = max(1, min(n, chunk_bytes // per_image))
        if self.threads > 1:
            # At least two chunks per worker (a slow worker can be helped), unless chunks
            # would get so small that handing them to threads costs more than it saves.
            balanced = -(-n // (2 * self.threads))
            chunk = min(chunk, max(balanced, -(-MIN_CHUNK_BYTES // per_image)))
        return int(chunk)

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

    # ------------------------------------------------------------------ windows path

    def _kernel_matrix(self, fp: int, with_bias: bool = False) -> np.ndarray:
        """Weights as one (C*K*K, fp) matrix, rows in (c, a, b) order like a window's pixels;
        with_bias appends the bias as a last row (for window matrices with a ones column)."""
        f, cw = self.num_kernels, self.weights[0].size
        wmat = np.zeros((cw + int(with_bias), fp), self.dtype)
        wmat[:cw, :f] = self.weights.reshape(f, -1).T
        if self.input_scale != 1.0:
            wmat[:cw] *= self.input_scale
        if with_bias:
            wmat[cw, :f] = self.bias
        return wmat

    def _window_image(self, plan: _Plan, x: np.ndarray, worker: int) -> np.ndarray:
        """The chunk as contiguous (n, C, H + 2p, W + 2p) images in the layer dtype."""
        if not plan.copy:
            return x
        p, n = self.padding, x.shape[0]
        shape = (plan.chunk, self.in_channels, plan.h + 2 * p, plan.w + 2 * p)
        img = self._scratch.get(f"wimg{worker}", shape, self.dtype, fill=0)[:n]
        np.copyto(img[:, :, p:p + plan.h, p:p + plan.w], x, casting="unsafe")  # borders stay 0
        return img

    def _window_runs(self, plan: _Plan, img: np.ndarray) -> np.ndarray:
        """Read-only window view (n, OH, OW, C, K) of K-pixel runs, each one opaque item.

        runs[n, oy, ox, c, a] holds pixels (c, S*oy + a, S*ox ... S*ox + K - 1) of image n:
        copying this view into a (n, OH, OW, C, K, K) array is im2col, done with one
        K*itemsize-byte move per kernel row instead of K single-float gathers.
        """
        k, s = self.kernel_size, self.stride
        sn, sc, sh, sw = img.strides
        runs = np.ndarray((img.shape[0], plan.oh, plan.ow, self.in_channels, k),
                          dtype=np.dtype((np.void, k * img.itemsize)), buffer=img,
                          strides=(sn, s * sh, s * sw, sc, sh))
        runs.flags.writeable = False
        return runs

    def _forward_windows(self, plan: _Plan, x: np.ndarray, train: bool) -> np.ndarray:
        dt, fp, cw = self.dtype, plan.fp, plan.cc
        # Window matrices carry a last column of ones (filled once, when a buffer is made;
        # copies write only the first cw columns) and the kernel matrix the bias as its last
        # row: the GEMM adds the bias (a separate pass cost 40% of the GEMM's time) and
        # backward's windows.T @ grad yields the bias gradient as its last row.
        wmat = self._kernel_matrix(fp, with_bias=True)
        out = np.empty((plan.n, plan.oh, plan.ow, fp), dt)
        positions = plan.oh * plan.ow
        saved = self._scratch.get("saved_windows", (plan.n * positions, cw + 1), dt, fill=1) if train else None
        relu = self.activation == "relu"
        item = np.dtype((np.void, self.kernel_size * dt.itemsize))

        def task(k: int, worker: int) -> None:
            s0, s1 = k * plan.chunk, min(plan.n, (k + 1) * plan.chunk)
            if saved is not None:
                windows = saved[s0 * positions:s1 * positions]
            else:
                windows = self._scratch.get(f"windows{worker}", (plan.chunk * positions, cw + 1), dt, fill=1)
                windows = windows[:(s1 - s0) * positions]
            runs = self._window_runs(plan, self._window_image(plan, x[s0:s1], worker))
            # Splitting both axes of the (rows, C*K) run slots is always a view, never a copy.
            np.copyto(windows[:, :cw].view(item).reshape(runs.shape), runs)
            of = out[s0:s1].reshape(-1, fp)
            np.matmul(windows, wmat, out=of)  # einsum('rk,kf->rf', windows, weights) + bias
            if relu:
                np.maximum(of, 0, out=of)

        self._runner.run(task, plan.chunks)
        valid = out[..., :self.num_kernels]
        if train:
            self._saved = (plan, saved, valid if relu else None)
        return valid.transpose(0, 3, 1, 2)

    def _backward_windows(self, plan: _Plan, saved: np.ndarray, relu_out: np.ndarray | None,
                          grad_out: np.ndarray) -> np.ndarray | None:
        dt, fp, cw = self.dtype, plan.fp, plan.cc
        f, c, k, s, p = self.num_kernels, self.in_channels, self.kernel_size, self.stride, self.padding
        gh = grad_out.transpose(0, 2, 3, 1)  # channels-last view
        wmat_t = self._kernel_matrix(fp).T if self.needs_input_grad else None
        gweight_parts = np.empty((plan.chunks, cw + 1, fp), dt)  # last row: the bias gradient
        positions = plan.oh * plan.ow
        grad_in = np.zeros((plan.n, c, plan.h, plan.w), dt) if self.needs_input_grad else None
        hp, wp = plan.h + 2 * p, plan.w + 2 * p

        def task(idx: int, worker: int) -> None:
            s0, s1 = idx * plan.chunk, min(plan.n, (idx + 1) * plan.chunk)
            n = s1 - s0
            # Padding kernels' gradient columns stay zero across calls.
            g4 = self._scratch.get(f"wgrad{worker}", (plan.chunk, plan.oh, plan.ow, fp), dt, fill=0)[:n]
            gv = g4[..., :f]
            if relu_out is None:
                np.copyto(gv, gh[s0:s1], casting="same_kind")
            else:
                np.multiply(gh[s0:s1], relu_out[s0:s1] > 0, out=gv, casting="same_kind")
            g = g4.reshape(-1, fp)
            windows = saved[s0 * positions:s1 * positions]
            np.matmul(windows.T, g, out=gweight_parts[idx])  # einsum('rk,rf->kf', windows, grad)
            if grad_in is None:
                return
            gwin = self._scratch.get(f"gwindows{worker}", (plan.chunk * positions, cw), dt)[:n * positions]
            np.matmul(g, wmat_t, out=gwin)
            g6 = gwin.reshape(n, plan.oh, plan.ow, c, k, k).transpose(0, 3, 1, 2, 4, 5)
            if p == 0:
                gimg = grad_in[s0:s1]  # arrives zeroed
            else:
                gimg = self._scratch.get(f"gwimg{worker}", (plan.chunk, c, hp, wp), dt)[:n]
                gimg[...] = 0
            # Each window adds back where it read: one strided add per kernel offset (a, b).
            rows, cols = s * (plan.oh - 1) + 1, s * (plan.ow - 1) + 1
            for a in range(k):
                for b in range(k):
                    target = gimg[:, :, a:a + rows:s, b:b + cols:s]
                    np.add(target, g6[..., a, b], out=target)
            if p:
                grad_in[s0:s1] = gimg[:, :, p:p + plan.h, p:p + plan.w]

        self._runner.run(task, plan.chunks)
        gsum = gweight_parts.sum(axis=0)
        self.grad_weights[...] = (gsum[:cw, :f].T * self.input_scale).reshape(self.weights.shape)
        self.grad_bias[...] = gsum[cw, :f]
        return grad_in

    # ------------------------------------------------------------------ forward / backward

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """Convolve x (N, C, H, W) -> (N, F, OH, OW) in the layer dtype.

        With train=True the space-to-depth input (and the output, if ReLU is fused) is kept
        for `backward`; with train=False nothing is kept and earlier saved state is untouched.
        """
        plan = self._plan(x)
        if plan.path == "windows":
            return self._forward_windows(plan, x, train)
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
        if plan.path == "windows":
            return self._backward_windows(plan, saved_cells, relu_out, grad_out)
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
