"""The random per-user hold-out split of the offline evaluation protocol.

Users are walked in ID order and each user's items in item-ID order (``Interactions`` keeps
both sorted), with ONE generator for the whole walk, so the split is reproducible across
machines and implementations. Users with fewer than ``min_items`` items draw nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from ranking.dataset import Interactions


@dataclass(frozen=True)
class Holdout:
    train: Interactions
    users: NDArray[np.int64]  # evaluated user rows, ascending
    test: list[NDArray[np.int32]]  # held-out item columns per evaluated user


def split(
    log: Interactions, *, seed: int = 42, fraction: float = 0.2, min_items: int = 5
) -> Holdout:
    rng = np.random.default_rng(seed)
    # Exact rational arithmetic: 0.2 * 15 is 3.0000000000000004 in floats; floor must be 3.
    share = Fraction(fraction).limit_denominator(10_000)
    keep = np.ones(log.nnz, dtype=bool)
    users: list[int] = []
    test: list[NDArray[np.int32]] = []
    for u in range(log.n_users):
        lo, hi = int(log.indptr[u]), int(log.indptr[u + 1])
        n = hi - lo
        if n < min_items:
            continue
        n_test = max(1, int(share * n))
        positions = rng.permutation(n)[:n_test]
        keep[lo + positions] = False
        users.append(u)
        test.append(np.sort(log.indices[lo + positions]))
    return Holdout(log.keep_entries(keep), np.asarray(users, dtype=np.int64), test)
