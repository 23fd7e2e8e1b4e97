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
from ranking.debias import BetaChoice, choose_beta, debiased, item_counts
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
    # Popularity debiasing chosen on the same validation split (ranking.debias.choose_beta).
    beta: BetaChoice | None = None


def _validation_scores(
    predict: Callable[[np.ndarray], np.ndarray],
    history: np.ndarray,
    test: list[np.ndarray],
) -> tuple[float, np.ndarray]:
    """Validation NDCG@10 and the scores (history masked), kept for the β search."""
    scores = predict(history)
    scores[history > 0] = -np.inf
    ndcg = float(np.mean([ndcg_at(top_k(s, 10), t, 10) for s, t in zip(scores, test, strict=True)]))
    return ndcg, scores


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

    best_scores: list[tuple[float, np.ndarray]] = []

    def trial(transform: Transform, x: np.ndarray, lam: float, gram: np.ndarray | None) -> float:
        ndcg, scores = _validation_scores(ease_predictor(x, lam, gram), x[rows], tests)
        trials.append({"transform": transform, "lambda": lam, "ndcg@10": ndcg})
        # Only the best trial's scores are kept (users x items float32), for the β search.
        if not best_scores or ndcg > best_scores[0][0]:
            best_scores[:] = [(ndcg, scores)]
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
    # β on the same validation split, scoring the best trial's already computed scores.
    beta = choose_beta(best_scores[0][1], tests, item_counts(hold.train))
    return Tuning(best[1], best[2], best[0], trials, beta)


# ``evaluate`` asks for "ease" then "ease_debiased" on the same training part; one cached
# tuning and fit serves both (the entry holds ``train`` itself, so its id cannot be reused).
_last_fit: list[tuple[Interactions, Tuning, EASE]] = []


def _tuned_fit(train: Interactions, progress: bool) -> tuple[Tuning, EASE]:
    if _last_fit and _last_fit[0][0] is train:
        return _last_fit[0][1], _last_fit[0][2]
    _last_fit.clear()
    chosen = tune_ease(train, progress=progress)
    model = fit_ease(train.to_dense(), chosen.transform, chosen.lam)
    _last_fit.append((train, chosen, model))
    return chosen, model


def fit_tuned_ease(train: Interactions, *, progress: bool = False) -> EASE:
    """An EASE factory for ``evaluate``: tune on validation, refit on all training data."""
    return _tuned_fit(train, progress)[1]


def fit_tuned_ease_debiased(train: Interactions, *, progress: bool = False) -> EASE:
    """Tuned EASE with the popularity debiasing β chosen on the same validation split."""
    chosen, model = _tuned_fit(train, progress)
    _last_fit.clear()  # the pair is done; do not keep an items² matrix alive past it
    beta = chosen.beta.beta if chosen.beta is not None else 0.0
    return debiased(model, item_counts(train), beta)
