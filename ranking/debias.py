"""Popularity debiasing for EASE: divide each item's score by its training popularity^β.

EASE concentrates its top-10s on the head of the catalog; scaling column ``i`` of the
scores by ``count_i^-β`` (``count_i`` = training users who played item ``i``) trades a
little NDCG for a much wider catalog coverage. β is chosen on the validation split by
:func:`choose_beta` and reuses the scores of the EASE model already fitted there, so the
search costs scoring only, never a refit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from ranking.dataset import Interactions
from ranking.ease import EASE
from ranking.metrics import ndcg_at, top_k
from ranking.scorer import Vector

BETAS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0)
# The accuracy the debiased model may give up: validation NDCG@10 must stay at or above this
# share of the undebiased EASE's validation NDCG@10.
NDCG_FLOOR = 0.97


@dataclass(frozen=True)
class BetaChoice:
    beta: float
    ndcg: float
    coverage: float
    trials: list[dict[str, float]]


def item_counts(train: Interactions) -> NDArray[np.int64]:
    """Training users per item (the popularity the scores are divided by)."""
    return np.bincount(train.indices, minlength=train.n_items).astype(np.int64)


def column_scale(counts: NDArray[np.integer], beta: float) -> Vector:
    """``max(count, 1)^-β`` per item; β = 0 gives all ones (plain EASE)."""
    scale: Vector = np.power(np.maximum(counts, 1).astype(np.float32), np.float32(-beta))
    return scale


def _validation(
    scores: NDArray[np.float32], tests: list[NDArray[np.integer]], n_items: int
) -> tuple[float, float]:
    tops = [top_k(s, 10) for s in scores]
    tops = [t[np.isfinite(s[t])] for t, s in zip(tops, scores, strict=True)]
    ndcg = float(np.mean([ndcg_at(t, test, 10) for t, test in zip(tops, tests, strict=True)]))
    shown = np.unique(np.concatenate(tops)) if tops else np.empty(0)
    return ndcg, len(shown) / n_items if n_items else 0.0


def choose_beta(
    scores: NDArray[np.float32],
    tests: list[NDArray[np.integer]],
    counts: NDArray[np.integer],
    betas: tuple[float, ...] = BETAS,
) -> BetaChoice:
    """Pick β on validation scores (history items already set to -inf).

    Rule: maximise validation Coverage@10 subject to validation NDCG@10 >=
    ``NDCG_FLOOR`` x the undebiased (β = 0) validation NDCG@10; ties go to the smaller β.
    β = 0 always satisfies the constraint, so the rule never does worse than plain EASE by
    more than the floor allows and falls back to it when debiasing only costs accuracy.
    """
    n_items = scores.shape[1]
    base_ndcg, base_cov = _validation(scores, tests, n_items)
    trials = [{"beta": 0.0, "ndcg@10": base_ndcg, "coverage@10": base_cov}]
    best = BetaChoice(0.0, base_ndcg, base_cov, trials)
    for beta in sorted(b for b in betas if b > 0):
        ndcg, cov = _validation(scores * column_scale(counts, beta), tests, n_items)
        trials.append({"beta": beta, "ndcg@10": ndcg, "coverage@10": cov})
        if ndcg >= NDCG_FLOOR * base_ndcg and cov > best.coverage:
            best = BetaChoice(beta, ndcg, cov, trials)
    return best


def debiased(model: EASE, counts: NDArray[np.integer], beta: float) -> EASE:
    """``model`` with its scores divided by ``counts^β``, named ``ease_debiased``."""
    return replace(
        model, name="ease_debiased", column_scale=column_scale(counts, beta), beta=float(beta)
    )
