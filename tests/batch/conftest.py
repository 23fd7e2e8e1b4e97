"""One local Spark session (``local[1]``) per test session, and a private copy of the
session's store (400 simulated listeners, the whole catalog) with its own models directory,
so training a Spark model and writing batch mixes never changes what other tests serve."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.store import copy_store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from batch.mixes import MixesReport


@dataclass(frozen=True)
class BatchData:
    data_dir: Path  # a CROSSFADE_DATA_DIR: crossfade.db and models/
    export_dir: Path
    numpy_version: str  # the EASE model the session trained

    @property
    def db(self) -> Path:
        return self.data_dir / "crossfade.db"

    @property
    def models(self) -> Path:
        return self.data_dir / "models"


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from batch.session import spark_session

    session = spark_session(
        "local[1]", app="crossfade-tests", driver_memory="1g", shuffle_partitions=2
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def batch_data(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BatchData:
    from backends.store.export import export_parquet
    from ranking.artifact import read_current, write_current

    root = tmp_path_factory.mktemp("batch")
    models = root / "models"
    models.mkdir()
    version = read_current(data_dir / "models")
    # Links to the session's trained version (read-only), and a CURRENT of our own.
    os.symlink((data_dir / "models" / version).resolve(), models / version)
    write_current(models, version)
    copy_store(data_dir, root)
    export = root / "export"
    export_parquet(root / "crossfade.db", export)
    return BatchData(root, export, version)


@dataclass(frozen=True)
class SparkModel:
    version: str
    path: Path


@pytest.fixture(scope="session")
def spark_model(spark: SparkSession, batch_data: BatchData) -> SparkModel:
    """ALS trained on Spark over the export, hyper-parameters from the numpy tuning."""
    from batch.train import train_spark

    path = train_spark(spark, batch_data.export_dir, batch_data.models, params=None, progress=False)
    return SparkModel(path.name, path)


@pytest.fixture(scope="session")
def mixes_day() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture(scope="session")
def built_mixes(
    spark: SparkSession, batch_data: BatchData, spark_model: SparkModel, mixes_day: dt.date
) -> MixesReport:
    from batch.mixes import build_mixes

    return build_mixes(
        spark,
        batch_data.export_dir,
        batch_data.models,
        batch_data.db,
        mixes_day,
        version=spark_model.version,
    )
