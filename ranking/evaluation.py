"""Offline evaluation of ranking models on an interaction log (``crossfade eval``).

Protocol (see ``ranking.holdout``): random 20% of each user's items held out with
``default_rng(42)``; users with fewer than 5 items only train. Every item of the log is in the
catalog, training items of the user are excluded from the ranking, and metrics are means
over evaluated users. ``default`` names, on a validation split carved from the training part
(so choosing it never looks at the test items), the model with the widest Coverage@10 among
those within ``NDCG_FLOOR`` of the best validation NDCG@10.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TypedDict

import numpy as np
from tqdm import tqdm

from ranking.dataset import Interactions
from ranking.debias import NDCG_FLOOR
from ranking.holdout import Holdout, split
from ranking.metrics import ndcg_at, recall_at, top_k
from ranking.scorer import Scorer

ModelFactory = Callable[[Interactions], Scorer]
Metrics = dict[str, float]


class Report(TypedDict):
    default: str
    models: dict[str, Metrics]


SEED = 42
SELECTION_SEED = 43
MAX_SELECTION_USERS = 1000


def _rank(model: Scorer, train: Interactions, user: int) -> tuple[np.ndarray, np.ndarray, float]:
    """The user's top-10 and top-50 (training items excluded) and the milliseconds the
    top-10 took (scoring the whole catalog plus the top-k)."""
    start = time.perf_counter()
    idx, weights = train.row(user)
    scores = model.score_items(idx.astype(np.intp), weights)
    scores[idx] = -np.inf
    top10 = top_k(scores, 10)
    ms = (time.perf_counter() - start) * 1000.0
    top50 = top_k(scores, 50)
    # Excluded items (-inf) are not recommendations, even when the catalog is smaller than k.
    return top10[np.isfinite(scores[top10])], top50[np.isfinite(scores[top50])], ms


def _measure(model: Scorer, hold: Holdout, users: np.ndarray, n_items: int) -> Metrics:
    recall10, recall50, ndcg10, latency = [], [], [], []
    shown: set[int] = set()
    for i in users:
        u = int(hold.users[i])
        test = hold.test[i]
        top10, top50, ms = _rank(model, hold.train, u)
        latency.append(ms)
        recall10.append(recall_at(top10, test, 10))
        ndcg10.append(ndcg_at(top10, test, 10))
        recall50.append(recall_at(top50, test, 50))
        shown.update(top10.tolist())
    if len(users) == 0:
        return {
            "recall@10": 0.0,
            "ndcg@10": 0.0,
            "recall@50": 0.0,
            "coverage@10": 0.0,
            "latency_ms": 0.0,
            "users": 0.0,
        }
    return {
        "recall@10": float(np.mean(recall10)),
        "ndcg@10": float(np.mean(ndcg10)),
        "recall@50": float(np.mean(recall50)),
        "coverage@10": len(shown) / n_items if n_items else 0.0,
        "latency_ms": float(np.mean(latency)),
        "latency_p95_ms": float(np.percentile(latency, 95)),
        "users": float(len(users)),
    }


def _select_default(train: Interactions, models: Mapping[str, ModelFactory]) -> str:
    hold = split(train, seed=SELECTION_SEED)
    pick = np.unique(
        np.linspace(
            0, max(len(hold.users) - 1, 0), min(MAX_SELECTION_USERS, len(hold.users))
        ).astype(int)
    )
    measured = {
        name: _measure(factory(hold.train), hold, pick, train.n_items)
        for name, factory in models.items()
    }
    # Rule (the one ranking.debias uses for β): the widest validation Coverage@10 among the
    # models whose validation NDCG@10 is within NDCG_FLOOR of the best; ties keep the
    # first-listed model, so a model equal to plain EASE never displaces it.
    best_ndcg = max(m["ndcg@10"] for m in measured.values())
    eligible = [n for n, m in measured.items() if m["ndcg@10"] >= NDCG_FLOOR * best_ndcg]
    return max(eligible, key=lambda n: measured[n]["coverage@10"])


def evaluate(
    log: Interactions,
    models: Mapping[str, ModelFactory],
    *,
    select_default: bool = True,
    progress: bool = False,
) -> Report:
    """Fit every model on the training part of ``log`` and report test metrics.

    Returns ``{"default": NAME, "models": {NAME: {"recall@10", "ndcg@10", "recall@50",
    "coverage@10", "latency_ms", ...}}}``; with ``select_default=False`` the first model is
    the default and no validation fits are spent.
    """
    if not models:
        raise ValueError("evaluate needs at least one model")
    hold = split(log, seed=SEED)
    default = _select_default(hold.train, models) if select_default else next(iter(models))
    results: dict[str, Metrics] = {}
    users = np.arange(len(hold.users))
    for name, factory in tqdm(models.items(), desc="evaluate", disable=not progress):
        start = time.perf_counter()
        model = factory(hold.train)
        fit_seconds = time.perf_counter() - start
        results[name] = _measure(model, hold, users, log.n_items) | {"fit_seconds": fit_seconds}
    return {"default": default, "models": results}


def standard_models() -> dict[str, ModelFactory]:
    """The models ``crossfade eval`` compares: the baseline, PureSVD, tuned EASE (plain and
    popularity-debiased, sharing one tuning and fit), tuned ALS."""
    # Imported here so importing the evaluation module stays light.
    from ranking.als import fit_tuned_als
    from ranking.factors import fit_pure_svd
    from ranking.popularity import Popularity
    from ranking.tuning import fit_tuned_ease, fit_tuned_ease_debiased

    return {
        "popularity": lambda train: Popularity.fit(train),
        "pure_svd": lambda train: fit_pure_svd(train.to_dense()),
        "ease": fit_tuned_ease,
        "ease_debiased": fit_tuned_ease_debiased,
        "als": fit_tuned_als,
    }
