"""The popularity baseline: everybody gets the most-listened tracks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ranking.dataset import Interactions
from ranking.scorer import Vector, sparse_of


@dataclass(frozen=True)
class Popularity:
    """Scores items by how many listeners played them; the cold-start fallback too."""

    scores: Vector
    name: str = "popularity"

    def score(self, history: Vector) -> Vector:
        return self.score_items(*sparse_of(history))

    def score_items(self, indices: NDArray[np.intp], weights: Vector) -> Vector:
        # A copy, because callers mask excluded items in place.
        return self.scores.copy()

    @classmethod
    def fit(cls, train: Interactions, prior: Vector | None = None) -> Popularity:
        """Listener counts; ``prior`` (e.g. catalog popularity in [0, 1]) breaks ties."""
        return cls.of_listeners(np.bincount(train.indices, minlength=train.n_items), prior)

    @classmethod
    def of_listeners(
        cls, listeners: NDArray[np.integer], prior: Vector | None = None
    ) -> Popularity:
        """From listener counts per item (e.g. counted by a batch engine)."""
        scores: Vector = listeners.astype(np.float32)
        if prior is not None:
            scores = scores + 0.5 * prior.astype(np.float32)
        return cls(scores)
