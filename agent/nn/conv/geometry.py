"""Shape arithmetic shared by Conv2D's methods: output sizes, the kernel count the fast
methods compute, and how a batch is cut into chunks for worker threads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Smallest chunk worth giving to a worker thread (small batches, e.g. acting, stay whole).
MIN_CHUNK_BYTES = 1 << 20


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output length along one spatial axis: (size + 2*padding - kernel_size) // stride + 1."""
    return (size + 2 * padding - kernel_size) // stride + 1


def ceil_div(a: int, b: int) -> int:
    """a / b rounded up, for positive integers."""
    return -(-a // b)


def computed_kernel_count(num_kernels: int, dtype: np.dtype) -> int:
    """How many output channels the fast methods compute: num_kernels, or that rounded up.

    OpenBLAS is ~1.5x faster when a GEMM's output width is a whole number of 64-byte vectors
    (15 -> 16 float32 columns), so the kernels are padded with zero kernels to whole vectors
    when that wastes little (at most a quarter more).
    """
    lanes = 64 // dtype.itemsize
    rounded = ceil_div(num_kernels, lanes) * lanes
    return rounded if rounded - num_kernels <= num_kernels // 4 else num_kernels


def images_per_chunk(batch: int, bytes_per_image: int, chunk_bytes: int, threads: int) -> int:
    """Images per chunk: about chunk_bytes of working set, and enough chunks for the threads."""
    chunk = max(1, min(batch, chunk_bytes // bytes_per_image))
    if threads > 1:
        # At least two chunks per worker (a slow worker can be helped), unless chunks would
        # get so small that handing them to threads costs more than it saves.
        balanced = ceil_div(batch, 2 * threads)
        chunk = min(chunk, max(balanced, ceil_div(MIN_CHUNK_BYTES, bytes_per_image)))
    return int(chunk)


@dataclass(frozen=True)
class ConvShape:
    """One Conv2D applied to one input shape: the sizes every method works from."""

    batch: int
    in_channels: int
    height: int
    width: int
    num_kernels: int
    kernel_size: int
    stride: int
    padding: int
    dtype: np.dtype

    @property
    def out_height(self) -> int:
        return conv_output_size(self.height, self.kernel_size, self.stride, self.padding)

    @property
    def out_width(self) -> int:
        return conv_output_size(self.width, self.kernel_size, self.stride, self.padding)

    @property
    def output_shape(self) -> tuple[int, int, int, int]:
        """(N, F, OH, OW)."""
        return (self.batch, self.num_kernels, self.out_height, self.out_width)


@dataclass(frozen=True)
class ChunkedPlan(ConvShape):
    """A ConvShape cut into chunks of `chunk` images, computing `computed_kernels` >= F."""

    chunk: int
    computed_kernels: int

    @property
    def chunks(self) -> int:
        return ceil_div(self.batch, self.chunk)

    def images(self, index: int) -> tuple[int, int]:
        """(start, stop) of chunk `index` in the batch; the last chunk may be short."""
        return index * self.chunk, min(self.batch, (index + 1) * self.chunk)
