"""The ranking model: ``train`` (in process with numpy, or on Spark) and ``eval`` (offline
evaluation of the models on a log, Spark's ALS among them with ``--engine spark``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.commands.arguments import Subparsers, bounded_int
from gateway.commands.spark import add_spark_arguments

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _train(args: argparse.Namespace) -> int:
    from gateway.config import Settings
    from ranking.train import is_stale, train

    settings = Settings()
    if args.if_stale and not is_stale(settings.db_path, settings.models_dir):
        print("model is up to date")
        return 0
    if args.engine == "spark":
        from gateway.commands.spark import train_spark

        return train_spark(args, settings)
    path = train(
        settings.db_path,
        settings.models_dir,
        max_ease_items=settings.max_ease_items,
        progress=not args.quiet,
    )
    print(f"model written to {path}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    import json

    from gateway.config import Settings
    from ranking.offline import EvalError, run_eval

    settings = Settings()
    spark: SparkSession | None = None
    try:
        variants = None
        if args.experiment:
            from ranking.experiments import parse_plan

            variants = parse_plan(settings.experiments).model_variants(args.experiment)
        extra = None
        if args.engine == "spark":
            from batch.evaluation import NAME, spark_als_factory
            from gateway.commands.spark import session

            spark = session(args.master, settings, "crossfade-eval")
            extra = {NAME: spark_als_factory(spark)}
        report, table = run_eval(
            args.interactions, variants=variants, extra_models=extra, progress=not args.json
        )
    except (EvalError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if spark is not None:
            spark.stop()
    print(json.dumps(report) if args.json else table)
    if args.out is not None:
        from ranking.eval_chart import ChartsUnavailable, write_eval_chart

        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "eval.json").write_text(json.dumps(report, indent=2) + "\n")
        try:
            chart = write_eval_chart(report, args.out / "eval.png", title=args.interactions.name)
        except ChartsUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.out / 'eval.json'} and {chart}", file=sys.stderr)
    return 0


def add_train(sub: Subparsers) -> None:
    train = sub.add_parser("train", help="train the ranking model")
    train.add_argument("--if-stale", action="store_true", help="only when missing or stale")
    train.add_argument("--quiet", action="store_true")
    train.add_argument(
        "--engine",
        choices=("numpy", "spark"),
        default="numpy",
        help="numpy: EASE (or ALS past CROSSFADE_MAX_EASE_ITEMS) in process; spark: ALS on "
        "Spark MLlib",
    )
    add_spark_arguments(train)
    train.add_argument("--alpha", type=float, help="spark: ALS confidence scale (else tuned)")
    train.add_argument("--regularization", type=float, help="spark: ALS λ (else tuned)")
    train.add_argument("--factors", type=bounded_int(1, 1024), help="spark: ALS rank (default 64)")
    train.add_argument(
        "--iterations", type=bounded_int(1, 1000), help="spark: ALS sweeps (default 15)"
    )
    train.set_defaults(func=_train)


def add_eval(sub: Subparsers) -> None:
    evaluate = sub.add_parser("eval", help="offline evaluation of the ranking models on a log")
    evaluate.add_argument(
        "--interactions",
        type=Path,
        required=True,
        help="TSV with a header: user, item, weight (play count)[, timestamp]",
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument(
        "--experiment", help="also compare the model variants of this CROSSFADE_EXPERIMENTS entry"
    )
    evaluate.add_argument(
        "--out",
        type=Path,
        help="also write the JSON report (eval.json) and its chart (eval.png) into this folder",
    )
    evaluate.add_argument(
        "--engine",
        choices=("numpy", "spark"),
        default="numpy",
        help="spark: add Spark MLlib ALS as the model spark_als",
    )
    evaluate.add_argument("--master", help="Spark master (default: CROSSFADE_SPARK_MASTER)")
    evaluate.set_defaults(func=_eval)
