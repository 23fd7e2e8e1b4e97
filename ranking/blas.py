"""BLAS threads of a serving process: one.

numpy's OpenBLAS starts a pool with a thread per core and splits even one listener's
matrix-vector product (their history rows of the EASE weights, ~100 x 5,849) over it. On a
request path that only adds hand-offs and spinning: measured on the 2-core machine, one
scoring costs ~5 ms of CPU with the pool and ~0.4 ms on one thread, and requests already
run side by side on the event loop and the other workers. Pinning the pool once per process
costs nothing per call; ``threadpool_limits`` around each call would cost ~0.6 ms a time
(it scans the loaded libraries), a kept ``ThreadpoolController`` ~25 µs a time.
Training and ``crossfade eval`` run in their own processes and keep every thread.
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
