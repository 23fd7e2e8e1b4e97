"""Ranking core figures: serving latency on the real catalog and on a synthetic 1M-item one.

Usage: ``python bench/ranking_bench.py [--models data/models] [--db data/crossfade.db]
[--train]``. Prints one line per figure; a bare numpy matrix-vector product of the same size
is shown beside each scorer so the ratio says how much the core adds on top of BLAS.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gateway.config import Settings
from ranking import RankingCore, train
from ranking.artifact import ModelNotFoundError
from ranking.dataset import Catalog
from ranking.factors import ItemFactors
from ranking.metrics import top_k


def per_call_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm caches and BLAS threads
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, (time.perf_counter() - start) / repeat)
    return best * 1000.0


def bench_real(models: Path) -> None:
    try:
        core = RankingCore.load(models)
    except ModelNotFoundError as exc:
        print(f"real catalog: skipped ({exc})")
        return
    rng = np.random.default_rng(0)
    ids = core.catalog.track_ids
    history = {int(t): float(rng.integers(1, 6)) for t in rng.choice(ids, 60, replace=False)}
    n = len(ids)
    b = core.scorer.weights if hasattr(core.scorer, "weights") else None
    dense = np.zeros(n, dtype=np.float32)
    dense[np.searchsorted(ids, list(history))] = 1.0
    print(f"real catalog: {n} items, model {core.metadata['model']} version {core.version}")
    rec = per_call_ms(lambda: core.recommend(history, 20), 300)
    capped = per_call_ms(lambda: core.recommend(history, 20, max_per_artist=2), 300)
    print(f"  recommend top-20 (60-track history)     {rec:8.3f} ms")
    print(f"  recommend top-20, <=2 per artist        {capped:8.3f} ms")
    if b is not None:
        # The floor for the same work: the 60 history rows of B times their weights, which is
        # what EASE serving computes, then compare the whole recommend call with it.
        rows = np.searchsorted(ids, list(history))
        weights = np.log1p(np.fromiter(history.values(), dtype=np.float32))
        floor = per_call_ms(lambda: weights @ b[rows], 300)
        print(f"  bare numpy w @ B[history] (60x{n})      {floor:8.3f} ms  (the floor)")
        print(f"  recommend / floor                       {rec / floor:8.2f} x")
        full = per_call_ms(lambda: dense @ b, 50)
        print(f"  bare dense x @ B ({n}x{n})          {full:8.3f} ms  (no sparsity)")
    for name, fn, rep in (
        ("discover_weekly k=30", lambda: core.discover_weekly(history, "u", 2026, 48), 200),
        ("daily_mixes 6x50", lambda: core.daily_mixes(history), 50),
        ("similar_tracks k=20", lambda: core.similar_tracks(int(ids[0]), 20), 300),
        ("affinity of 50 tracks", lambda: core.affinity(history, [int(t) for t in ids[:50]]), 300),
        ("cold-start recommend", lambda: core.recommend({}, 20), 300),
    ):
        print(f"  {name:<40}{per_call_ms(fn, rep):8.3f} ms")
    size = sum(p.stat().st_size for p in (models / core.version).iterdir())
    print(f"  artifact size {size / 1e6:.1f} MB, trained in {core.metadata['training_seconds']} s")


def synthetic_core(items: int, rank: int, seed: int = 1) -> RankingCore:
    """A RankingCore over a synthetic catalog served by a factor model (the 1M-item path)."""
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((items, rank), dtype=np.float32)
    artists = rng.integers(0, items // 10, items).astype(np.int64)
    catalog = Catalog(
        track_ids=np.arange(1, items + 1, dtype=np.int64),
        primary_artist=artists,
        artist_indptr=np.arange(items + 1, dtype=np.int64),
        artist_ids=artists,
        explicit=rng.random(items) < 0.05,
        popularity=rng.integers(0, 100, items).astype(np.float32),
        genre_id=rng.integers(0, 6, items).astype(np.int64),
    )
    cold = rng.random(items, dtype=np.float32)
    scorer = ItemFactors(factors, np.ones(rank, dtype=np.float32))
    # Embeddings only serve mixes and similar tracks, which this bench does not time.
    return RankingCore(
        "synthetic", {"model": "pure_svd"}, catalog, scorer, factors, cold, cold / 100.0
    )


def bench_factors(items: int = 1_000_000, rank: int = 64) -> None:
    core = synthetic_core(items, rank)
    assert isinstance(core.scorer, ItemFactors)
    factors = core.scorer.factors
    rng = np.random.default_rng(2)
    hist_idx = rng.choice(items, 60, replace=False).astype(np.intp)
    hist_w = rng.integers(1, 6, 60).astype(np.float32)
    history = {int(i) + 1: float(w) for i, w in zip(hist_idx, hist_w, strict=True)}
    user = core.scorer.user_vector(hist_idx, hist_w)

    def serve() -> None:
        scores = core.scorer.score_items(hist_idx, hist_w)
        scores[hist_idx] = -np.inf
        top_k(scores, 20)

    bare = per_call_ms(lambda: factors @ user, 20)
    raw = per_call_ms(serve, 20)
    rec = per_call_ms(lambda: core.recommend(history, 20), 20)
    capped = per_call_ms(lambda: core.recommend(history, 20, max_per_artist=2), 20)
    clean = per_call_ms(lambda: core.recommend(history, 20, allow_explicit=False), 20)
    print(f"synthetic factor catalog: {items:,} items x {rank} factors")
    print(f"  bare numpy item_factors @ user          {bare:8.3f} ms  (the floor)")
    for label, ms in (
        ("fold-in + score + exclude + top-20", raw),
        ("core.recommend top-20", rec),
        ("core.recommend top-20, <=2 per artist", capped),
        ("core.recommend top-20, explicit off", clean),
    ):
        print(f"  {label:<40}{ms:8.3f} ms  (ratio {ms / bare:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=Path, default=Path("data/models"))
    parser.add_argument("--db", type=Path, default=Path("data/crossfade.db"))
    parser.add_argument("--train", action="store_true", help="also time a training run")
    args = parser.parse_args()
    if args.train and args.db.exists():
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            max_ease = Settings().max_ease_items
            train(args.db, Path(tmp), max_ease_items=max_ease, progress=False)
            print(f"training on {args.db}: {time.perf_counter() - start:.1f} s wall")
    bench_real(args.models)
    bench_factors()


if __name__ == "__main__":
    main()
