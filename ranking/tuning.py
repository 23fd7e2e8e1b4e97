"""Hyperparameter choice for EASE on a validation split carved from the training data.

The split reuses the evaluation protocol with its own seed on the *training* part only, so
no held-out test item ever influences λ or the input transform.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from ranking.dataset import Interactions
from ranking.ease import EASE, ease_predictor, fit_ease
from ranking.holdout import split
from ranking.metrics import ndcg_at, top_k
from ranking.scorer import Transform, apply_transform

# λ is searched relative to the mean item weight (the Gram diagonal), so the same grid fits
# a 5k-user store and a 100k-row log with very different item counts.
LAMBDA_FACTORS = (1.0, 4.0, 16.0)
TRANSFORMS: tuple[Transform, ...] = ("binary", "log1p")
VALIDATION_SEED = 7


@dataclass(frozen=True)
class Tuning:
    transform: Transform
    lam: float
    ndcg: float
    trials: list[dict[str, float | str]] = field(default_factory=list)


def _validation_ndcg(
    predict: Callable[[np.ndarray], np.ndarray],
    history: np.ndarray,
    test: list[np.ndarray],
) -> float:
    scores = predict(history)
    scores[history > 0] = -np.inf
    return float(np.mean([ndcg_at(top_k(s, 10), t, 10) for s, t in zip(scores, test, strict=True)]))


def _gram(x: np.ndarray) -> np.ndarray | None:
    """``xᵀx`` when EASE will use the primal form (items ≤ users), shared by every λ."""
    return x.T @ x if x.shape[1] <= x.shape[0] else None


def _mean_item_weight(x: np.ndarray) -> float:
    diag = (x * x).sum(axis=0)
    return float(diag[diag > 0].mean()) if (diag > 0).any() else 1.0


def tune_ease(train: Interactions, *, max_users: int = 1000, progress: bool = False) -> Tuning:
    """Grid over transform x λ, then one refinement step around the best λ."""
    hold = split(train, seed=VALIDATION_SEED)
    if len(hold.users) == 0:
        return Tuning("log1p", 1.0, 0.0)
    pick = np.unique(
        np.linspace(0, len(hold.users) - 1, min(max_users, len(hold.users))).astype(int)
    )
    rows = hold.users[pick]
    tests = [hold.test[i] for i in pick]
    raw = hold.train.to_dense()
    trials: list[dict[str, float | str]] = []
    bar = tqdm(
        total=len(TRANSFORMS) + len(LAMBDA_FACTORS) + 1, desc="tune ease", disable=not progress
    )

    def trial(transform: Transform, x: np.ndarray, lam: float, gram: np.ndarray | None) -> float:
        ndcg = _validation_ndcg(ease_predictor(x, lam, gram), x[rows], tests)
        trials.append({"transform": transform, "lambda": lam, "ndcg@10": ndcg})
        bar.update()
        return ndcg

    # Coordinate search, 6 fits (each is an items² inverse, ~3-4 s at 5.8k items): the
    # transform at the middle λ, then λ over the grid, then halfway to the best's neighbours.
    xs = {t: apply_transform(raw, t) for t in TRANSFORMS}
    grams = {t: _gram(x) for t, x in xs.items()}
    base = {t: _mean_item_weight(x) for t, x in xs.items()}
    mid = LAMBDA_FACTORS[len(LAMBDA_FACTORS) // 2]
    best: tuple[float, Transform, float] = (-1.0, "log1p", 1.0)
    for t in TRANSFORMS:
        best = max(best, (trial(t, xs[t], mid * base[t], grams[t]), t, mid * base[t]))
    transform = best[1]
    for f in LAMBDA_FACTORS:
        if f != mid:
            lam = f * base[transform]
            best = max(
                best, (trial(transform, xs[transform], lam, grams[transform]), transform, lam)
            )
    lam = best[2]
    for lam_try in (lam / 2, lam * 2):
        best = max(
            best, (trial(transform, xs[transform], lam_try, grams[transform]), transform, lam_try)
        )
    bar.close()
    return Tuning(best[1], best[2], best[0], trials)


def fit_tuned_ease(train: Interactions, *, progress: bool = False) -> EASE:
    """An EASE factory for ``evaluate``: tune on validation, refit on all training data."""
    chosen = tune_ease(train, progress=progress)
    return fit_ease(train.to_dense(), chosen.transform, chosen.lam)
