"""``crossfade train --engine spark``: ALS on Spark over the exported log, written as the same
versioned artifact ``crossfade train`` writes, so ``/admin/reload-model`` serves it.

The artifact holds ALS item factors (``als_factors``), popularity scores and the catalog, and
no EASE weights: the serving core then serves ALS (``ranking.core.RankingCore.load``).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from batch.als import ALSParams, fit_item_factors
from batch.log import aligned, play_counts, read_catalog, read_meta
from ranking import artifact
from ranking.als import tune_als
from ranking.dataset import Interactions
from ranking.popularity import Popularity
from ranking.train import TRAINER_VERSION, new_version


def tuned_params(counts_table: Any) -> tuple[ALSParams, dict[str, Any]]:
    """Hyper-parameters from the numpy tuning (``ranking.als.tune_als``) on the same counts,
    gathered on the driver: fine for logs one machine holds, which is when to tune; give them
    explicitly for bigger ones."""
    users = counts_table.column("user_id").to_numpy()
    items = counts_table.column("track_id").to_numpy()
    plays = counts_table.column("plays").to_numpy().astype(np.float64)
    user_ids, user_idx = np.unique(users, return_inverse=True)
    item_ids, item_idx = np.unique(items, return_inverse=True)
    log = Interactions.from_triples(user_idx, item_idx, plays, user_ids, item_ids)
    chosen = tune_als(log)
    trials = {"validation_ndcg@10": chosen.ndcg, "trials": chosen.trials}
    return ALSParams(chosen.alpha, chosen.regularization), trials


def train_spark(
    spark: SparkSession,
    export_dir: Path,
    models_dir: Path,
    *,
    params: ALSParams | None,
    factors: int | None = None,
    iterations: int | None = None,
    progress: bool = True,
) -> Path:
    """Fit ALS on the export at ``export_dir``, write ``models_dir/<version>/`` and point
    CURRENT at it. ``params`` None tunes them with the numpy ALS first; ``factors`` and
    ``iterations``, when given, replace the given or tuned ones."""
    started = time.perf_counter()
    meta = read_meta(export_dir)
    catalog = read_catalog(export_dir)
    counts = play_counts(spark, export_dir).cache()
    tuning: dict[str, Any] = {}
    if params is None:
        params, tuning = tuned_params(counts.toArrow())
        if progress:
            print(f"train: tuned alpha={params.alpha} regularization={params.regularization}")
    params = params.sized(factors=factors, iterations=iterations)
    blocks = max(spark.sparkContext.defaultParallelism, 1)
    vectors, reg = fit_item_factors(counts, catalog.track_ids, params, blocks=blocks)
    listeners = _listeners_per_item(counts, catalog.track_ids)
    totals = counts.agg(
        F.countDistinct("user_id").alias("users"),
        F.count(F.lit(1)).alias("pairs"),
        F.sum("plays").alias("plays"),
    ).first()
    assert totals is not None
    counts.unpersist()
    pop = Popularity.of_listeners(listeners, prior=catalog.popularity / 100.0)
    arrays: dict[str, NDArray[Any]] = {"als_factors": vectors, "popularity_scores": pop.scores}
    version = new_version(meta.get("build_key"), models_dir)
    metadata = {
        "model": "als",
        "engine": "spark",
        "spark": {"master": spark.sparkContext.master, "version": spark.version},
        "hyperparameters": {
            "als_alpha": params.alpha,
            "als_regularization": params.regularization,
            "als_transform": params.transform,
            "als_factors": params.factors,
            "als_iterations": params.iterations,
            "spark_reg_param": reg,
            "spark_alpha": 1.0,
            "spark_rating": f"max({params.alpha} * {params.transform}(plays) - 1, 1e-6)",
            **tuning,
        },
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_key": meta.get("build_key"),
        "trainer_version": TRAINER_VERSION,
        "counts": {
            "users": int(totals["users"]),
            "items": len(catalog.track_ids),
            "user_item_pairs": int(totals["pairs"]),
            "plays": int(totals["plays"] or 0),
        },
        "training_seconds": round(time.perf_counter() - started, 3),
    }
    path = artifact.save(models_dir, version, metadata, catalog, arrays)
    artifact.write_current(models_dir, version)
    if progress:
        print(f"train: wrote {path} in {metadata['training_seconds']} s")
    return path


def _listeners_per_item(counts: DataFrame, item_ids: NDArray[np.int64]) -> NDArray[np.int64]:
    table = counts.groupBy("track_id").agg(F.count(F.lit(1)).alias("n")).toArrow()
    found = table.column("track_id").to_numpy().astype(np.int64)
    return aligned(item_ids, found, table.column("n").to_numpy().astype(np.int64))
