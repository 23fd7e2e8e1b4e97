"""Top-k accuracy metrics with binary relevance.

recall@k = |top-k ∩ test| / |test| (the plain definition; a user with more than k held-out
items cannot reach 1); NDCG@k discounts a hit at 1-based rank r by 1/log2(r + 1) and divides by the
ideal DCG of min(k, |test|) hits.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def recall_at(ranked: NDArray[np.integer], test: NDArray[np.integer], k: int) -> float:
    if len(test) == 0:
        return 0.0
    hits = np.isin(ranked[:k], test).sum()
    return float(hits) / len(test)


def ndcg_at(ranked: NDArray[np.integer], test: NDArray[np.integer], k: int) -> float:
    if len(test) == 0:
        return 0.0
    hit = np.isin(ranked[:k], test)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float(discounts[: len(hit)][hit].sum())
    idcg = float(discounts[: min(k, len(test))].sum())
    return dcg / idcg


def top_k(scores: NDArray[np.float32], k: int) -> NDArray[np.intp]:
    """Indices of the k best scores, best first; ties go to the lower index.

    Selection is by value, never ``argpartition`` over the catalog (several times slower
    than ``partition`` here, and on 1M items slower than the scoring matvec itself): a
    strided sample of ~sqrt(n·k) scores bounds the k-th best from below, one comparison pass
    keeps the few items above the bound, and only those are sorted. Exact: the k-th best of
    a subset is at most the k-th best of the whole, so the true top k are all kept.
    """
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return np.empty(0, dtype=np.intp)
    stride = int(np.sqrt(n / k))
    if stride >= 4:
        sample = scores[::stride]
        bound = np.partition(sample, len(sample) - k)[len(sample) - k]
        if np.isfinite(bound):
            cand = np.flatnonzero(scores >= bound)
            if len(cand) <= n // 4:
                return _ordered(cand, scores[cand], k)
    bound = np.partition(scores, n - k)[n - k]
    if np.isnan(bound):  # NaN sorts last in partition; compare nothing against it
        return np.lexsort((np.arange(n), -np.nan_to_num(scores, nan=-np.inf)))[:k]
    cand = np.flatnonzero(scores >= bound)
    return _ordered(cand, scores[cand], k)


def _ordered(cand: NDArray[np.intp], values: NDArray[np.float32], k: int) -> NDArray[np.intp]:
    # Candidates ascend by index, so a stable sort on the score alone breaks ties low-first.
    order = np.argsort(-values, kind="stable")[:k]
    out: NDArray[np.intp] = cand[order].astype(np.intp, copy=False)
    return out
