"""Best-effort access to NumPy's OpenBLAS thread count (reading it, or limiting it for a while).

On a 2-core machine shared with other busy processes, a multi-threaded GEMM waits for its
second thread whenever that core is taken: small GEMMs then slow down ~10x. Layers that run
their own worker threads therefore limit BLAS to one thread per call while they work.
Everything here is a no-op when NumPy is not linked against OpenBLAS.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import Callable, Iterator

import numpy as np

# (getter, setter) symbol names: scipy-openblas builds (NumPy wheels) first, then plain OpenBLAS.
_SYMBOLS = (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
            ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
            ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
            ("openblas_get_num_threads", "openblas_set_num_threads"))


@lru_cache(maxsize=1)
def _openblas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """(get, set) functions of the OpenBLAS that NumPy loaded, or None if not found."""
    folder = os.path.dirname(np.__file__)
    candidates = glob.glob(os.path.join(folder + ".libs", "*openblas*")) + \
        glob.glob(os.path.join(folder, ".dylibs", "*openblas*"))
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _SYMBOLS:
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                getter, setter = getattr(lib, get_name), getattr(lib, set_name)
                getter.restype = ctypes.c_int
                setter.argtypes = [ctypes.c_int]
                return getter, setter
    return None


def blas_threads() -> int | None:
    """Threads NumPy's OpenBLAS currently uses for a large GEMM, or None if unknown."""
    funcs = _openblas()
    return int(funcs[0]()) if funcs else None


class _Limiter:
    """Reference-counted limit, so overlapping users (several threads) restore the right value.

    The BLAS thread count is process-wide state owned by OpenBLAS; this object only mirrors
    who is currently limiting it.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.saved: int | None = None


_LIMITER = _Limiter()


@contextmanager
def blas_thread_limit(threads: int = 1) -> Iterator[None]:
    """Within the block, NumPy's OpenBLAS uses `threads` threads (process-wide), then restores."""
    funcs = _openblas()
    if funcs is None:
        yield
        return
    with _LIMITER.lock:
        if _LIMITER.users == 0:
            _LIMITER.saved = int(funcs[0]())
        _LIMITER.users += 1
        if _LIMITER.saved is not None and threads < _LIMITER.saved:
            funcs[1](int(threads))
    try:
        yield
    finally:
        with _LIMITER.lock:
            _LIMITER.users -= 1
            if _LIMITER.users == 0 and _LIMITER.saved is not None:
                funcs[1](_LIMITER.saved)
