"""ALS on Spark: the artifact the serving core loads, and parity with the ``implicit`` ALS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pyspark.sql import SparkSession

from batch.evaluation import NAME, spark_als_factory
from ranking import RankingCore
from ranking.als import fit_tuned_als, tune_als
from ranking.artifact import write_current
from ranking.dataset import Interactions, load_catalog, load_interactions
from ranking.evaluation import evaluate
from ranking.offline import run_eval
from tests.batch.conftest import TINY_FACTORS, TINY_ITERATIONS, BatchData, SparkModel
from tests.support.app import gateway_client

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_spark_artifact_serves_als_with_the_numpy_tuning(
    batch_data: BatchData, spark_model: SparkModel
) -> None:
    core = RankingCore.load(batch_data.models, spark_model.version)
    log = load_interactions(batch_data.db, load_catalog(batch_data.db).track_ids)
    chosen = tune_als(log)
    hyper = core.metadata["hyperparameters"]

    assert core.metadata["engine"] == "spark" and core.scorer.name == "als"
    assert (hyper["als_alpha"], hyper["als_regularization"]) == (
        chosen.alpha,
        chosen.regularization,
    )
    assert core.metadata["counts"]["user_item_pairs"] == log.nnz
    assert core.embeddings.shape == (log.n_items, hyper["als_factors"])
    history = {int(t): 2.0 for t in core.catalog.track_ids[:5]}
    picked = core.recommend(history, 10)
    assert len(picked) == 10 and not {p.track_id for p in picked} & set(history)


@pytest.mark.anyio
async def test_reload_model_serves_the_spark_artifact(
    batch_data: BatchData, spark_model: SparkModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.config import Settings

    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(batch_data.data_dir))
    write_current(batch_data.models, batch_data.numpy_version)
    try:
        async with gateway_client(Settings(data_dir=batch_data.data_dir)) as client:
            services = client.app.state.services
            assert services.ranking.core.version == batch_data.numpy_version
            write_current(batch_data.models, spark_model.version)
            response = await client.post("/admin/reload-model", json={})
            assert response.json() == {"version": spark_model.version}
            assert services.ranking.core.scorer.name == "als"
    finally:
        write_current(batch_data.models, spark_model.version)


def taste_log(listeners: int = 4000, genres: int = 20, genre_size: int = 25) -> Interactions:
    """A simulated log big enough in listeners for NDCG@10 to resolve 3% (the 400-listener
    store's test split cannot: its sampling error alone is about that), small in items so
    both fits stay quick: 1-2 tastes per listener, Zipf popularity in a taste, 10% random."""
    rng = np.random.default_rng(11)
    items = genres * genre_size
    zipf = 1.0 / np.arange(1, genre_size + 1) ** 0.8
    users, tracks, plays = [], [], []
    for u in range(listeners):
        tastes = rng.choice(genres, size=1 + u % 2, replace=False)
        n = int(rng.integers(6, 16))
        genre = rng.choice(tastes, size=n)
        picked = genre * genre_size + rng.choice(genre_size, size=n, p=zipf / zipf.sum())
        off = rng.random(n) < 0.1
        picked[off] = rng.integers(0, items, size=int(off.sum()))
        users += [u] * n
        tracks += picked.tolist()
        plays += rng.integers(1, 6, size=n).tolist()
    return Interactions.from_triples(
        np.asarray(users),
        np.asarray(tracks),
        np.asarray(plays, dtype=np.float64),
        np.arange(listeners),
        np.arange(items),
    )


def test_spark_als_ndcg_is_within_3_percent_of_implicit(spark: SparkSession) -> None:
    log = taste_log()

    report = evaluate(
        log, {"als": fit_tuned_als, NAME: spark_als_factory(spark)}, select_default=False
    )

    numpy_ndcg = report["models"]["als"]["ndcg@10"]
    spark_ndcg = report["models"][NAME]["ndcg@10"]
    print(f"NDCG@10 implicit ALS {numpy_ndcg:.4f}, Spark ALS {spark_ndcg:.4f}")
    assert report["models"]["als"]["users"] > 3000
    assert numpy_ndcg > 0.1
    assert abs(spark_ndcg - numpy_ndcg) <= 0.03 * numpy_ndcg, (spark_ndcg, numpy_ndcg)


def test_eval_adds_spark_als_on_any_log(spark: SparkSession, tmp_path: Path) -> None:
    # String IDs and a log that has nothing to do with the store.
    rng = np.random.default_rng(5)
    lines = ["listener\titem\tplays"]
    for u in range(60):
        taste = rng.choice(4)
        for i in rng.choice(10, size=6, replace=False):
            lines.append(f"u{u}\tsong-{taste}-{i}\t{int(rng.integers(1, 6))}")
    path = tmp_path / "log.tsv"
    path.write_text("\n".join(lines) + "\n")

    spark_als = spark_als_factory(spark, factors=TINY_FACTORS, iterations=TINY_ITERATIONS)
    report, table = run_eval(path, extra_models={NAME: spark_als})

    assert set(report["models"]) >= {"als", NAME}
    assert report["models"][NAME]["ndcg@10"] > 0
    assert NAME in table
