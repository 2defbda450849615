"""Read-only window views: the seed article's idea, that the windows a kernel slides over
are already in the input's memory, and `as_strided` can show them without a copy.

Three views, one per method:
* `window_view`: the article's own (N, C, OH, OW, K, K) view of an NCHW image;
* `cell_window_view`: the windows of a stride-1, channels-last cell buffer, where each
  kernel cell's slice is a contiguous matrix (the "cells" method);
* `pixel_run_view`: windows whose items are runs of K pixels (the "windows" method), so
  copying the view is im2col with one K-pixel move per kernel row.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .geometry import conv_output_size


def window_view(image: np.ndarray, kernel_size: int, stride: int) -> np.ndarray:
    """The article's view of image (N, C, H, W): windows (N, C, OH, OW, K, K), read-only.

    windows[n, c, y, x, i, j] is image[n, c, stride*y + i, stride*x + j]. No padding: pad
    the image first.
    """
    k = kernel_size
    n, c, h, w = image.shape
    sn, sc, sh, sw = image.strides
    oh, ow = conv_output_size(h, k, stride), conv_output_size(w, k, stride)
    return as_strided(image, (n, c, oh, ow, k, k), (sn, sc, stride * sh, stride * sw, sh, sw),
                      writeable=False)


def cell_window_view(cells_flat: np.ndarray, kernel_cells: int, grid_width: int,
                     tail: int) -> np.ndarray:
    """Windows (rows, kc, kc, C') of a chunk's flat cell buffer (rows + tail, C'), read-only.

    With stride 1 and channels last, the window whose output is flat row r starts at cell row
    r, so windows[r, i, j] is cell row r + i*grid_width + j. Rows are contiguous C' runs, so
    every windows[:, i, j] is a BLAS-ready matrix. The last `tail` rows start no window.
    """
    rows = cells_flat.shape[0] - tail
    row, item = cells_flat.strides
    return as_strided(cells_flat, (rows, kernel_cells, kernel_cells, cells_flat.shape[1]),
                      (row, grid_width * row, row, item), writeable=False)


def pixel_run_view(image: np.ndarray, out_height: int, out_width: int, kernel_size: int,
                   stride: int) -> np.ndarray:
    """Windows (N, OH, OW, C, K) of K-pixel runs, each one opaque item, read-only.

    runs[n, y, x, c, a] holds pixels (c, S*y + a, S*x ... S*x + K - 1) of image n, which
    must be C-contiguous in the layer dtype: copying this view into a (N, OH, OW, C, K, K)
    array is im2col, done with one K*itemsize-byte move per kernel row instead of K
    single-float gathers.
    """
    k = kernel_size
    sn, sc, sh, sw = image.strides
    runs = np.ndarray((image.shape[0], out_height, out_width, image.shape[1], k),
                      dtype=np.dtype((np.void, k * image.itemsize)), buffer=image,
                      strides=(sn, stride * sh, stride * sw, sc, sh))
    runs.flags.writeable = False
    return runs
