"""The SparkSession every batch job runs in: local (``local[N]``) or a cluster's master."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping

from pyspark.sql import SparkSession


class JavaMissingError(RuntimeError):
    """Spark needs a Java runtime (17 or newer); ``bash scripts/java.sh`` installs one."""


def spark_session(
    master: str,
    *,
    app: str,
    driver_memory: str,
    shuffle_partitions: int,
    ui: bool = False,
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """Start (or join) the session; ``conf`` adds Spark settings. Settings that shape the JVM,
    such as the driver's memory, only apply to the first session of a process."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise JavaMissingError("no `java` on PATH and no JAVA_HOME: run `bash scripts/java.sh`")
    # Python workers must import this project and its numpy: in local mode that is the
    # interpreter running the driver (on a cluster, whatever the image's PYSPARK_PYTHON is).
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # Spark runs a task per core already; a multi-threaded native BLAS under each task (the
    # JVM's for ALS, numpy's in the Python workers) would only oversubscribe the cores.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    builder = (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.ui.enabled", str(ui).lower())
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
