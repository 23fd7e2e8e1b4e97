"""Implicit-feedback ALS (Hu, Koren and Volinsky, 2008), fitted with the ``implicit`` package.

``implicit`` does the alternating solves (compiled, multi-threaded); serving stays numpy: a
listener's vector is folded in from their history by the same normal equations ALS solves
for a user, ``(YᵀY + Yₕᵀ(Cₕ - I)Yₕ + λI) x = Yₕᵀ cₕ``, so a play recorded seconds ago changes
the scores without refitting. Confidence is ``alpha * transform(plays)`` as in ``implicit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ranking.dataset import Interactions
from ranking.holdout import split
from ranking.metrics import ndcg_at, top_k
from ranking.scorer import Transform, Vector, apply_transform, sparse_of

Matrix = NDArray[np.float32]

ALS_FACTORS = 64
ALS_ITERATIONS = 15
# (alpha, regularization) pairs tried on the validation split: the confidence scale matters
# most on play counts, λ second. Six fits of ~1-3 s each at the 18k-item log size.
ALS_GRID = ((1.0, 0.1), (4.0, 0.1), (16.0, 0.1), (40.0, 0.1), (4.0, 1.0), (16.0, 1.0))
VALIDATION_SEED = 11
MAX_VALIDATION_USERS = 1000


@dataclass(frozen=True)
class ALSFactors:
    """Item factors from ALS; user vectors are solved from the history at request time."""

    factors: Matrix  # items x k
    gram: Matrix  # YᵀY, precomputed once
    alpha: float
    regularization: float
    transform: Transform = "log1p"
    name: str = "als"

    def user_vector(self, indices: NDArray[np.intp], weights: Vector) -> Vector:
        y = self.factors[indices]
        c = np.float32(self.alpha) * apply_transform(weights, self.transform)
        a = self.gram + (y.T * (c - 1.0)) @ y
        a[np.diag_indices_from(a)] += np.float32(self.regularization)
        x: Vector = np.linalg.solve(a, y.T @ c).astype(np.float32, copy=False)
        return x

    def score(self, history: Vector) -> Vector:
        return self.score_items(*sparse_of(history))

    def score_items(self, indices: NDArray[np.intp], weights: Vector) -> Vector:
        if len(indices) == 0:
            return np.zeros(self.factors.shape[0], dtype=np.float32)
        scores: Vector = self.factors @ self.user_vector(indices, weights)
        return scores

    def embeddings(self) -> Matrix:
        """Unit-length item vectors for cosine similarity (zero rows stay zero)."""
        norms = np.linalg.norm(self.factors, axis=1, keepdims=True)
        unit: Matrix = (self.factors / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit

    @classmethod
    def of(
        cls, factors: Matrix, alpha: float, regularization: float, transform: Transform = "log1p"
    ) -> ALSFactors:
        """From item factors alone (an artifact's, or another engine's): the Gram is derived."""
        y = np.ascontiguousarray(factors, dtype=np.float32)
        return cls(y, y.T @ y, alpha, regularization, transform)


@dataclass(frozen=True)
class ALSTuning:
    alpha: float
    regularization: float
    ndcg: float
    trials: list[dict[str, float]] = field(default_factory=list)


def _csr(train: Interactions, transform: Transform) -> object:
    from scipy.sparse import csr_matrix

    data = apply_transform(train.data, transform)
    return csr_matrix(
        (data, train.indices, train.indptr), shape=(train.n_users, train.n_items), dtype=np.float32
    )


def fit_als(
    train: Interactions,
    *,
    alpha: float = 4.0,
    regularization: float = 0.1,
    factors: int = ALS_FACTORS,
    iterations: int = ALS_ITERATIONS,
    transform: Transform = "log1p",
    seed: int = 0,
) -> ALSFactors:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    # implicit parallelises over users itself; a multi-threaded BLAS underneath it only
    # oversubscribes the cores (implicit warns about exactly this when it is built).
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=regularization,
            alpha=alpha,
            iterations=iterations,
            random_state=seed,
            calculate_training_loss=False,
        )
        model.fit(_csr(train, transform), show_progress=False)
    return ALSFactors.of(model.item_factors, alpha, regularization, transform)


# The last few tunings by log: `crossfade eval --engine spark` fits `als` and `spark_als` with
# the same hyper-parameters, so the second asks for the tuning the first already paid for.
_TUNED: list[tuple[Interactions, ALSTuning]] = []
_TUNED_KEPT = 4


def tune_als(train: Interactions) -> ALSTuning:
    """Pick (alpha, λ) by NDCG@10 on a validation split carved from ``train`` only."""
    for seen, tuning in _TUNED:
        if seen is train:
            return tuning
    tuning = _tune_als(train)
    _TUNED.append((train, tuning))
    del _TUNED[:-_TUNED_KEPT]
    return tuning


def _tune_als(train: Interactions) -> ALSTuning:
    hold = split(train, seed=VALIDATION_SEED)
    if len(hold.users) == 0:
        return ALSTuning(*ALS_GRID[1], 0.0)
    pick = np.unique(
        np.linspace(0, len(hold.users) - 1, min(MAX_VALIDATION_USERS, len(hold.users))).astype(int)
    )
    best = ALSTuning(*ALS_GRID[1], -1.0)
    trials: list[dict[str, float]] = []
    for alpha, reg in ALS_GRID:
        model = fit_als(hold.train, alpha=alpha, regularization=reg)
        ndcgs = []
        for i in pick:
            idx, w = hold.train.row(int(hold.users[i]))
            scores = model.score_items(idx.astype(np.intp), w)
            scores[idx] = -np.inf
            ndcgs.append(ndcg_at(top_k(scores, 10), hold.test[i], 10))
        ndcg = float(np.mean(ndcgs))
        trials.append({"alpha": alpha, "regularization": reg, "ndcg@10": ndcg})
        if ndcg > best.ndcg:
            best = ALSTuning(alpha, reg, ndcg)
    return ALSTuning(best.alpha, best.regularization, best.ndcg, trials)


def fit_tuned_als(train: Interactions) -> ALSFactors:
    """An ALS factory for ``evaluate``: tune on validation, refit on all training data."""
    chosen = tune_als(train)
    return fit_als(train, alpha=chosen.alpha, regularization=chosen.regularization)
