"""Top-k accuracy metrics with binary relevance.

recall@k = |top-k ∩ test| / min(k, |test|) so a user with more than k held-out items can
still reach 1; NDCG@k discounts a hit at 1-based rank r by 1/log2(r + 1) and divides by the
ideal DCG of min(k, |test|) hits.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def recall_at(ranked: NDArray[np.integer], test: NDArray[np.integer], k: int) -> float:
    if len(test) == 0:
        return 0.0
    hits = np.isin(ranked[:k], test).sum()
    return float(hits) / min(k, len(test))


def ndcg_at(ranked: NDArray[np.integer], test: NDArray[np.integer], k: int) -> float:
    if len(test) == 0:
        return 0.0
    hit = np.isin(ranked[:k], test)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float(discounts[: len(hit)][hit].sum())
    idcg = float(discounts[: min(k, len(test))].sum())
    return dcg / idcg


def top_k(scores: NDArray[np.float32], k: int) -> NDArray[np.intp]:
    """Indices of the k best scores, best first (argpartition, then sort only those k)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, dtype=np.intp)
    part = np.argpartition(-scores, k - 1)[:k]
    # Ties break on the item index so results are deterministic.
    order = np.lexsort((part, -scores[part]))
    return part[order]
