"""The one interface every model serves through, and the input transforms they share."""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

Transform = Literal["binary", "log1p"]
Vector = NDArray[np.float32]


class Scorer(Protocol):
    """A fitted model: one preference score per catalog item for a listening history.

    ``history`` holds raw weights (play counts); each model applies its own transform.
    Scores only order items for one listener and are not comparable across listeners.
    """

    @property
    def name(self) -> str:
        """Short model name used in reports and artifact metadata."""
        ...

    def score(self, history: Vector) -> Vector:
        """Scores for a dense history vector (length = number of items)."""
        ...

    def score_items(self, indices: NDArray[np.intp], weights: Vector) -> Vector:
        """Scores for a sparse history; the serving path, cheaper than ``score``."""
        ...


def apply_transform(weights: NDArray[np.floating], transform: Transform) -> Vector:
    """Binarise or log-damp play counts (a hundred replays should not outweigh variety)."""
    w = np.asarray(weights, dtype=np.float32)
    if transform == "binary":
        return (w > 0).astype(np.float32)
    return np.log1p(np.maximum(w, 0)).astype(np.float32)


def sparse_of(history: Vector) -> tuple[NDArray[np.intp], Vector]:
    nz = np.flatnonzero(history)
    return nz, history[nz].astype(np.float32, copy=False)
