"""The Spark tests' shared parts, each made once per test session: one local Spark session
(``local[1]``, one shuffle partition, no UI), a private copy of the session's store (400
simulated listeners, the whole catalog) with its own models directory, so training a Spark
model and writing batch mixes never changes what other tests serve, its Parquet export (every
test reads that one), the Spark model and the mixes built with it.

Every test here is ``spark`` and ``slow`` (a JVM, and the full store).
"""

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


# ALS on the 400-listener log converges in a few sweeps at a small rank; what the tests check
# of the Spark model (the artifact, the tuning it records, batch == request time) holds for
# any size, and 16 x 5 fits in a fifth of the time of 64 x 15. The parity test alone keeps
# the served sizes.
TINY_FACTORS = 16
TINY_ITERATIONS = 5
# Jobs of a few seconds: the JVM's optimising compiler (C2) would spend more CPU than it saves
# (about half the JVM's CPU here), so only C1 compiles. C1's frames are larger, and ALS's
# lineage is deep enough to need a larger stack then. One GC thread: a 1 GB heap.
TEST_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -Xss16m -XX:+UseSerialGC"


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    from batch.session import spark_session

    # One core, one shuffle partition: the logs here are small enough that more partitions
    # only add tasks (each a few milliseconds of scheduling) to every stage.
    session = spark_session(
        "local[1]",
        app="crossfade-tests",
        driver_memory="1g",
        shuffle_partitions=1,
        conf={"spark.driver.extraJavaOptions": TEST_JVM_OPTIONS},
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
    """ALS trained on Spark over the export, alpha and λ from the numpy tuning."""
    from batch.train import train_spark

    path = train_spark(
        spark,
        batch_data.export_dir,
        batch_data.models,
        params=None,
        factors=TINY_FACTORS,
        iterations=TINY_ITERATIONS,
        progress=False,
    )
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
