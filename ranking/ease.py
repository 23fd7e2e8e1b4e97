"""EASE (Steck, 2019): a closed-form linear item-item model.

``B = I - P / diag(P)`` with ``P = (XᵀX + λI)⁻¹``. When there are fewer users than items the
Woodbury identity gives the same ``P`` from a users x users inverse,
``P = (I - Xᵀ(XXᵀ + λI)⁻¹X) / λ``, which is what makes an 18k-item evaluation log cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ranking.linalg import spd_inverse
from ranking.scorer import Transform, Vector, apply_transform, sparse_of

Matrix = NDArray[np.float32]


@dataclass(frozen=True)
class EASE:
    """A fitted EASE model; serving sums the weight rows of the listener's items."""

    weights: Matrix  # B, items x items, zero diagonal
    transform: Transform
    lam: float
    name: str = "ease"
    # Popularity debiasing (ranking.debias): scores are multiplied by this per-item scale,
    # count^-β; None is plain EASE.
    column_scale: Vector | None = None
    beta: float = 0.0

    def score(self, history: Vector) -> Vector:
        return self.score_items(*sparse_of(history))

    def score_items(self, indices: NDArray[np.intp], weights: Vector) -> Vector:
        if len(indices) == 0:
            return np.zeros(self.weights.shape[1], dtype=np.float32)
        x = apply_transform(weights, self.transform)
        scores: Vector = x @ self.weights[indices]
        if self.column_scale is not None:
            np.multiply(scores, self.column_scale, out=scores)
        return scores


def _add_ridge(gram: Matrix, lam: float) -> Matrix:
    gram[np.diag_indices_from(gram)] += np.float32(lam)
    return gram


def ease_weights(x: Matrix, lam: float, gram: Matrix | None = None) -> Matrix:
    """The weight matrix B for a transformed user x item matrix ``x``.

    ``gram`` (``xᵀx``, left unchanged) saves recomputing it when trying several λ.
    """
    n_users, n_items = x.shape
    if n_items <= n_users:
        g = x.T @ x if gram is None else gram.copy()
        p = spd_inverse(_add_ridge(g, lam))
    else:
        m = spd_inverse(_add_ridge(x @ x.T, lam))
        p = x.T @ (m @ x)
        p *= np.float32(-1.0 / lam)
        p[np.diag_indices_from(p)] += np.float32(1.0 / lam)
    diag = np.diag(p).copy()
    p /= -diag
    p[np.diag_indices_from(p)] = 0.0
    return p


def ease_predictor(x: Matrix, lam: float, gram: Matrix | None = None) -> Callable[[Matrix], Matrix]:
    """Scores for many histories at once without materialising B when users < items.

    Tuning evaluates several λ on a validation split; in the dual form each one costs a
    users x users inverse instead of an items x items weight matrix.
    """
    n_users, n_items = x.shape
    if n_items <= n_users:
        b = ease_weights(x, lam, gram)
        return lambda h: h @ b
    m = spd_inverse(_add_ridge(x @ x.T, lam))
    w = m @ x
    diag = (1.0 - np.einsum("ui,ui->i", x, w)) / np.float32(lam)

    def predict(h: Matrix) -> Matrix:
        hp = (h - (h @ x.T) @ w) / np.float32(lam)
        scores: Matrix = (h - hp / diag).astype(np.float32, copy=False)
        return scores

    return predict


def fit_ease(x_raw: Matrix, transform: Transform, lam: float) -> EASE:
    return EASE(ease_weights(apply_transform(x_raw, transform), lam), transform, lam)
