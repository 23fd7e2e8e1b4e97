"""Implicit-feedback ALS on Spark MLlib, set up to fit the model ``ranking.als`` fits.

Two differences between MLlib and the ``implicit`` package are bridged here:

- Confidence. ``implicit`` weighs an observed pair by ``c = alpha * t(plays)`` (``t`` the
  log1p transform) and unobserved ones by 1. MLlib uses ``c = 1 + alpha' * |r|`` with
  preference ``r > 0``. With ``alpha' = 1`` and ``r = alpha * t(plays) - 1`` the two agree
  exactly whenever ``alpha * t(plays) > 1`` (every pair once ``alpha >= 1.45``, since
  ``t(1) = ln 2``); below that ``implicit``'s confidence is under the unobserved pairs' 1,
  which MLlib cannot express, and ``r`` is clamped to a tiny positive value (``c ≈ 1``).
- Regularisation. MLlib scales λ by each row's number of ratings (ALS-WR), ``implicit`` uses
  one λ for all. ``regParam = λ / mean ratings per listener`` gives the average listener the
  same λ as ``implicit`` does.

User vectors are not kept: serving folds them in from the history (``ranking.als``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pyspark.ml.recommendation import ALS
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from batch.log import aligned
from ranking.als import ALS_FACTORS, ALS_ITERATIONS
from ranking.scorer import Transform

# Clamp for pairs whose `implicit` confidence would be below 1 (see above): r > 0 keeps them
# positive examples.
MIN_RATING = 1e-6


@dataclass(frozen=True)
class ALSParams:
    """The numpy ALS's hyper-parameters (``ranking.als``), which Spark is asked to match."""

    alpha: float
    regularization: float
    factors: int = ALS_FACTORS
    iterations: int = ALS_ITERATIONS
    transform: Transform = "log1p"
    seed: int = 0

    def sized(self, *, factors: int | None = None, iterations: int | None = None) -> ALSParams:
        """These hyper-parameters with another rank or number of sweeps (None keeps each)."""
        return dataclasses.replace(
            self,
            factors=self.factors if factors is None else factors,
            iterations=self.iterations if iterations is None else iterations,
        )


def rating(plays: Column, params: ALSParams) -> Column:
    """MLlib's rating for a play count, so that its confidence equals ``implicit``'s."""
    t = F.log1p(plays) if params.transform == "log1p" else F.when(plays > 0, 1.0).otherwise(0.0)
    return F.greatest(F.lit(params.alpha) * t - F.lit(1.0), F.lit(MIN_RATING))


def reg_param(params: ALSParams, pairs: int, listeners: int) -> float:
    return params.regularization / max(pairs / max(listeners, 1), 1.0)


def fit_item_factors(
    counts: DataFrame,
    item_ids: NDArray[np.int64],
    params: ALSParams,
    *,
    blocks: int,
) -> tuple[NDArray[np.float32], float]:
    """Item factors for ``item_ids`` (rows in that order; zeros for items nobody played) and
    the MLlib ``regParam`` used.

    ``counts`` has ``user_id``, ``track_id`` (integers within Java's int) and ``plays``.
    ``blocks`` is MLlib's number of user and item blocks: about the number of cores.
    """
    stats = counts.agg(F.count(F.lit(1)).alias("pairs"), F.countDistinct("user_id").alias("users"))
    row = stats.first()
    assert row is not None
    reg = reg_param(params, int(row["pairs"]), int(row["users"]))
    ratings = counts.select(
        F.col("user_id").cast("int").alias("user"),
        F.col("track_id").cast("int").alias("item"),
        rating(F.col("plays"), params).cast("float").alias("rating"),
    )
    als = ALS(
        rank=params.factors,
        maxIter=params.iterations,
        regParam=reg,
        implicitPrefs=True,
        alpha=1.0,
        userCol="user",
        itemCol="item",
        ratingCol="rating",
        numUserBlocks=blocks,
        numItemBlocks=blocks,
        seed=params.seed,
    )
    model = als.fit(ratings)
    table = model.itemFactors.orderBy("id").toArrow()
    found = table.column("id").to_numpy().astype(np.int64)
    flat = table.column("features").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    vectors = flat.astype(np.float32).reshape(-1, params.factors)
    return aligned(item_ids, found, vectors), reg
