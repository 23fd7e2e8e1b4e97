"""Parity of Spark MLlib ALS with the ``implicit`` ALS on the simulated log of the store.

Both are fitted on the evaluation protocol's training part (``ranking.holdout``) with the
hyper-parameters the numpy tuning picks on it, and scored by the same metrics; the figure
is the relative NDCG@10 difference (the issue asks for at most 3%).

    .venv/bin/python bench/spark_parity.py [--db data/crossfade.db] [--master local[2]]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from batch.evaluation import NAME, spark_als_factory
from batch.session import spark_session
from ranking.als import fit_tuned_als
from ranking.dataset import load_catalog, load_interactions
from ranking.evaluation import evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("data/crossfade.db"))
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()
    log = load_interactions(args.db, load_catalog(args.db).track_ids)
    spark = spark_session(
        args.master, app="crossfade-parity", driver_memory="4g", shuffle_partitions=4
    )
    try:
        report = evaluate(
            log, {"als": fit_tuned_als, NAME: spark_als_factory(spark)}, select_default=False
        )
    finally:
        spark.stop()
    numpy_ndcg = report["models"]["als"]["ndcg@10"]
    spark_ndcg = report["models"][NAME]["ndcg@10"]
    result = {
        "log": f"{args.db}: {log.n_users} listeners, {log.n_items} items, {log.nnz} pairs",
        "models": report["models"],
        "ndcg@10_relative_difference": (spark_ndcg - numpy_ndcg) / numpy_ndcg,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
