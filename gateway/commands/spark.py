"""The batch jobs on Spark: ``train --engine spark``, ``mixes build`` and the ``spark_als``
model of ``eval --engine spark``. The only commands that import ``batch`` (and so pyspark),
each on use: the gateway itself never starts Spark."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.commands.arguments import Subparsers, iso_date

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from gateway.config import Settings


def session(master: str | None, settings: Settings, app: str) -> SparkSession:
    """A Spark session on ``master`` (else CROSSFADE_SPARK_MASTER), shaped by the settings."""
    from batch.session import spark_session

    return spark_session(
        master or settings.spark_master,
        app=app,
        driver_memory=settings.spark_driver_memory,
        shuffle_partitions=settings.spark_shuffle_partitions,
    )


def _export_log(args: argparse.Namespace, settings: Settings) -> Path:
    """The log a Spark job reads: ``--log DIR`` as given, else a fresh export of the store."""
    if args.log is not None:
        return Path(args.log)
    from backends.store.export import export_parquet

    report = export_parquet(settings.db_path, settings.log_export_dir)
    print(f"exported {report.plays} plays to {report.out}")
    return settings.log_export_dir


def train_spark(args: argparse.Namespace, settings: Settings) -> int:
    """``crossfade train --engine spark``: ALS on Spark MLlib over the exported log."""
    from batch.als import ALSParams
    from batch.train import train_spark as train_on_spark

    if (args.alpha is None) != (args.regularization is None):
        print("error: give both --alpha and --regularization, or neither", file=sys.stderr)
        return 2
    params = None
    if args.alpha is not None:
        params = ALSParams(alpha=args.alpha, regularization=args.regularization)
    log = _export_log(args, settings)
    spark = session(args.master, settings, "crossfade-train")
    try:
        path = train_on_spark(
            spark,
            log,
            settings.models_dir,
            params=params,
            factors=args.factors,
            iterations=args.iterations,
            progress=not args.quiet,
        )
    finally:
        spark.stop()
    print(f"model written to {path}")
    return 0


def _mixes_build(args: argparse.Namespace) -> int:
    import datetime as dt

    from batch.mixes import build_mixes
    from gateway.config import Settings

    settings = Settings()
    day = args.date or dt.datetime.now(dt.UTC).date()
    log = _export_log(args, settings)
    spark = session(args.master, settings, "crossfade-mixes")
    try:
        report = build_mixes(spark, log, settings.models_dir, settings.db_path, day)
    finally:
        spark.stop()
    print(report)
    return 0


def add_spark_arguments(p: argparse.ArgumentParser) -> None:
    """``--master`` and ``--log``, for the commands that run a Spark job over the log."""
    p.add_argument(
        "--master", help="spark: local[N], local[*] or spark://HOST:PORT (CROSSFADE_SPARK_MASTER)"
    )
    p.add_argument(
        "--log",
        type=Path,
        help="spark: an export (`crossfade data export`) to read; default: export the store "
        "to CROSSFADE_EXPORT_DIR first",
    )


def add_mixes(sub: Subparsers) -> None:
    mixes = sub.add_parser("mixes", help="batch-built Discover Weekly and Daily Mixes")
    mixes_sub = mixes.add_subparsers(dest="mixes_command", required=True)
    build = mixes_sub.add_parser(
        "build", help="build every listener's mixes for this week and day into the store"
    )
    build.add_argument("--engine", choices=("spark",), default="spark")
    add_spark_arguments(build)
    build.add_argument(
        "--date",
        type=iso_date,
        help="the day (and its ISO week) to build for, YYYY-MM-DD (default: today, UTC)",
    )
    build.set_defaults(func=_mixes_build)
