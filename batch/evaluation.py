"""``crossfade eval --engine spark``: Spark ALS as the ``spark_als`` model of the evaluation,
fitted with the hyper-parameters the numpy ALS tunes on the same training part, so the two
rows differ only in the engine."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

from batch.als import ALSParams, fit_item_factors
from ranking.als import ALSFactors, tune_als
from ranking.dataset import Interactions
from ranking.evaluation import ModelFactory

NAME = "spark_als"


def spark_als_factory(
    spark: SparkSession,
    *,
    scratch: Path | None = None,
    factors: int | None = None,
    iterations: int | None = None,
) -> ModelFactory:
    """A factory for ``ranking.evaluation.evaluate``. Training parts reach Spark as Parquet
    in ``scratch`` (a temporary directory by default), which a cluster's workers must see.
    ``factors`` and ``iterations`` replace the numpy ALS's (the comparison is then no longer
    like for like; tests on tiny logs use fewer sweeps)."""

    def fit(train: Interactions) -> ALSFactors:
        chosen = tune_als(train)
        params = ALSParams(chosen.alpha, chosen.regularization).sized(
            factors=factors, iterations=iterations
        )
        with tempfile.TemporaryDirectory(dir=scratch, prefix="spark-als-") as tmp:
            path = Path(tmp) / "train.parquet"
            users = np.repeat(np.arange(train.n_users, dtype=np.int64), train.row_lengths())
            pq.write_table(
                pa.table(
                    {
                        "user_id": users,
                        "track_id": train.indices.astype(np.int64),
                        "plays": train.data.astype(np.float64),
                    }
                ),
                path,
            )
            counts = spark.read.parquet(str(path))
            blocks = max(spark.sparkContext.defaultParallelism, 1)
            items = np.arange(train.n_items, dtype=np.int64)
            vectors, _ = fit_item_factors(counts, items, params, blocks=blocks)
        als = ALSFactors.of(vectors, params.alpha, params.regularization, params.transform)
        return dataclasses.replace(als, name=NAME)

    return fit
