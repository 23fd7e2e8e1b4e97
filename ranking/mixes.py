"""Daily Mixes: cluster a listener's tracks into tastes, then fill each taste's mix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Indices = NDArray[np.intp]
Matrix = NDArray[np.float32]

KMEANS_ITERATIONS = 25
# Playlist lengths, the same whether a batch job or a request builds them.
DISCOVER_WEEKLY_SIZE = 30
DAILY_MIX_SIZE = 50


@dataclass(frozen=True)
class DailyMix:
    """One mix: 1-based ``index`` for "Daily Mix N", its leading artists and its tracks."""

    index: int
    top_artist_ids: list[int]
    track_ids: list[int]


def cluster_count(n_items: int, max_mixes: int) -> int:
    """Two mixes from two tracks up, one more for roughly every growing taste (sqrt(n/4))."""
    if n_items < 2:
        return 1
    return int(min(max_mixes, n_items, max(2, int(np.sqrt(n_items / 4)))))


def kmeans(points: Matrix, weights: NDArray[np.float32], k: int) -> NDArray[np.intp]:
    """Weighted spherical k-means with farthest-point seeding; deterministic, no RNG.

    Seeding starts at the heaviest point (the most played track) so the first mix is the
    listener's main taste; returned labels are renumbered by total cluster weight.
    """
    n = len(points)
    k = min(k, n)
    if k <= 1:
        return np.zeros(n, dtype=np.intp)
    first = int(np.lexsort((np.arange(n), -weights))[0])
    centers = [first]
    dist = 1.0 - points @ points[first]
    for _ in range(1, k):
        nxt = int(np.argmax(dist))
        centers.append(nxt)
        dist = np.minimum(dist, 1.0 - points @ points[nxt])
    c = points[centers].copy()
    labels = np.zeros(n, dtype=np.intp)
    for _ in range(KMEANS_ITERATIONS):
        new = np.argmax(points @ c.T, axis=1).astype(np.intp)
        if np.array_equal(new, labels) and _ > 0:
            break
        labels = new
        for j in range(k):
            members = labels == j
            if members.any():
                m = (points[members] * weights[members, None]).sum(axis=0)
                norm = float(np.linalg.norm(m))
                c[j] = m / norm if norm > 0 else m
    mass = np.bincount(labels, weights=weights, minlength=k)
    used = [j for j in np.lexsort((np.arange(k), -mass)) if mass[j] > 0]
    if len(used) < 2:
        # Identical embeddings (e.g. tracks never seen in training): alternate by weight so
        # a listener with two or more tracks still gets two mixes.
        order = np.lexsort((np.arange(n), -weights))
        out = np.zeros(n, dtype=np.intp)
        out[order[1::2]] = 1
        return out
    renumber = np.full(k, -1, dtype=np.intp)
    renumber[used] = np.arange(len(used))
    return renumber[labels]


def blend(familiar: list[int], fresh: list[int], size: int, familiar_share: float) -> list[int]:
    """Interleave played and new tracks evenly, about ``familiar_share`` of them played.

    Either side tops up when the other runs short, so a mix reaches ``size`` when it can.
    """
    n_fam = min(len(familiar), round(size * familiar_share))
    n_new = min(len(fresh), size - n_fam)
    n_fam = min(len(familiar), size - n_new)
    out: list[int] = []
    f = g = 0
    for pos in range(n_fam + n_new):
        # Place a fresh track whenever fresh tracks are behind their share of the positions.
        want_fresh = g < n_new and (f >= n_fam or (g + 1) * (n_fam + n_new) <= (pos + 1) * n_new)
        if want_fresh:
            out.append(fresh[g])
            g += 1
        else:
            out.append(familiar[f])
            f += 1
    return out
