"""BLAS threads of a serving process: one.

numpy's OpenBLAS starts a pool with a thread per core and splits even one listener's
matrix-vector products (their history rows of the EASE weights, ~100 x 5,849) over it. On a
request path that only adds hand-offs and spinning, while requests already run side by side.
``bench/blas_bench.py`` measures one listener's ranking (Home's picks, Discover Weekly, the
mixes) each way on the 2-core machine, under load: ~12 ms of CPU with the pool, ~5.3 ms with
one thread pinned once per process, ~7 ms with ``threadpool_limits`` around each listener (it
scans the loaded libraries every time), ~5.7 ms with a kept ``ThreadpoolController``. Pinned
once is the cheapest and costs nothing per call. Training and ``crossfade eval`` run in their
own processes and keep every thread.
"""

from __future__ import annotations

from typing import Any

from threadpoolctl import ThreadpoolController

_BLAS = "blas"


def single_threaded() -> None:
    """Run every BLAS library loaded in this process on one thread from now on."""
    ThreadpoolController().limit(limits=1, user_api=_BLAS)


def blas_threads() -> int:
    """The most threads any loaded BLAS library may use (1 after :func:`single_threaded`)."""
    info: list[dict[str, Any]] = ThreadpoolController().select(user_api=_BLAS).info()
    return max((int(lib["num_threads"]) for lib in info), default=1)
