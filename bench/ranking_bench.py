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

from ranking import RankingCore, train
from ranking.artifact import ModelNotFoundError
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
        full = per_call_ms(lambda: dense @ b, 50)
        print(f"  bare dense x @ B ({n}x{n})          {full:8.3f} ms  (the core sums 60 rows)")
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


def bench_factors(items: int = 1_000_000, rank: int = 64) -> None:
    rng = np.random.default_rng(1)
    factors = rng.standard_normal((items, rank), dtype=np.float32)
    model = ItemFactors(factors, np.ones(rank, dtype=np.float32))
    hist_idx = rng.choice(items, 60, replace=False).astype(np.intp)
    hist_w = rng.integers(1, 6, 60).astype(np.float32)
    user = model.user_vector(hist_idx, hist_w)

    def serve() -> None:
        scores = model.score_items(hist_idx, hist_w)
        scores[hist_idx] = -np.inf
        top_k(scores, 20)

    bare = per_call_ms(lambda: factors @ user, 20)
    core = per_call_ms(serve, 20)
    print(f"synthetic factor catalog: {items:,} items x {rank} factors")
    print(f"  bare numpy item_factors @ user          {bare:8.3f} ms")
    print(f"  fold-in + score + exclude + top-20      {core:8.3f} ms  (ratio {core / bare:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=Path, default=Path("data/models"))
    parser.add_argument("--db", type=Path, default=Path("data/crossfade.db"))
    parser.add_argument("--train", action="store_true", help="also time a training run")
    args = parser.parse_args()
    if args.train and args.db.exists():
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            train(args.db, Path(tmp), progress=False)
            print(f"training on {args.db}: {time.perf_counter() - start:.1f} s wall")
    bench_real(args.models)
    bench_factors()


if __name__ == "__main__":
    main()
