"""Turning a score vector into a list: top-k with artist caps, and seeded weekly sampling."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
from numpy.typing import NDArray

from ranking.metrics import top_k

Scores = NDArray[np.float32]
Indices = NDArray[np.intp]


def capped_top(
    scores: Scores, k: int, artists: NDArray[np.int64], max_per_artist: int | None
) -> Indices:
    """The best ``k`` finite-scored items, at most ``max_per_artist`` per primary artist.

    Walks a candidate set a few times larger than k (cheap argpartition); only when the cap
    rejects too many does it fall back to ranking the whole catalog.
    """
    if k <= 0:
        return np.empty(0, dtype=np.intp)
    width = k if max_per_artist is None else 4 * k + 50
    while True:
        ranked = top_k(scores, width)
        ranked = ranked[np.isfinite(scores[ranked])]
        picked = ranked[:k] if max_per_artist is None else _walk(ranked, k, artists, max_per_artist)
        if len(picked) >= k or width >= len(scores) or len(ranked) < width:
            return picked
        width = len(scores)


def _walk(order: Indices, k: int, artists: NDArray[np.int64], cap: int) -> Indices:
    seen: Counter[int] = Counter()
    out: list[int] = []
    for i in order.tolist():
        a = int(artists[i])
        if seen[a] >= cap:
            continue
        seen[a] += 1
        out.append(i)
        if len(out) == k:
            break
    return np.asarray(out, dtype=np.intp)


def stable_seed(*parts: object) -> int:
    """A 64-bit seed that is the same in every process (``hash()`` is salted per process)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def gumbel_order(scores: Scores, seed: int, sharpness: float) -> Indices:
    """A random order that favours high scores: Gumbel-top-k, i.e. sampling without
    replacement from softmax(sharpness * standardised score)."""
    if len(scores) == 0:
        return np.empty(0, dtype=np.intp)
    spread = float(scores.std())
    z = (scores - scores.mean()) / (spread if spread > 0 else 1.0)
    noise = np.random.default_rng(seed).gumbel(size=len(scores))
    return np.argsort(-(sharpness * z + noise), kind="stable").astype(np.intp)
