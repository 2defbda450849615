"""Run independent chunks of a layer's work on a few threads.

NumPy releases the GIL inside copies, ufuncs and BLAS calls, so two Python threads working
on different batch chunks use both cores for *all* of a convolution's work (copies, adds,
GEMMs), where multi-threaded BLAS alone parallelises only the GEMMs. While workers run, BLAS
is limited to one thread per call so the two kinds of threading do not fight.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from .blas import blas_thread_limit


def default_threads() -> int:
    """Worker threads a layer uses by default: the usable cores, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


class ChunkRunner:
    """Calls task(chunk_index, worker_index) for every chunk, on up to `threads` threads.

    With threads > 1, BLAS runs single-threaded inside tasks even when there is only one
    chunk: small GEMMs gain little from a second BLAS thread and stall badly when another
    process holds that core. The calling thread is worker 0; extra workers live in a pool created on first use. Chunks
    are handed out in order as workers become free, so a worker slowed by another process
    does not hold up the rest. Results must not depend on which worker ran a chunk.
    """

    def __init__(self, threads: int) -> None:
        self.threads = max(1, int(threads))
        self._pool: ThreadPoolExecutor | None = None

    def __getstate__(self) -> dict:
        return {"threads": self.threads, "_pool": None}

    def run(self, task: Callable[[int, int], None], chunks: int, parallel: bool = True) -> None:
        """Run all chunks; parallel=False keeps them in the calling thread (tiny work)."""
        if self.threads == 1:  # the caller's choice: BLAS threading as configured
            for k in range(chunks):
                task(k, 0)
            return
        workers = min(self.threads, chunks) if parallel else 1
        if workers <= 1:  # too little work to split: still keep BLAS single-threaded
            with blas_thread_limit(1):
                for k in range(chunks):
                    task(k, 0)
            return
        if self._pool is None or self._pool._max_workers < workers - 1:
            self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="nn-chunks")
        lock, next_chunk = threading.Lock(), [0]
        failed = threading.Event()

        def work(worker: int) -> None:
            while not failed.is_set():
                with lock:
                    k = next_chunk[0]
                    next_chunk[0] += 1
                if k >= chunks:
                    return
                try:
                    task(k, worker)
                except BaseException:
                    failed.set()
                    raise

        with blas_thread_limit(1):
            futures = [self._pool.submit(work, w) for w in range(1, workers)]
            try:
                work(0)
            finally:
                for f in futures:
                    f.result()  # re-raises a worker's exception
