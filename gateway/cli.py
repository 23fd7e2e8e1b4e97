"""The ``crossfade`` command: serve, run a backend, build data, train, issue tokens."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from backends.names import BACKENDS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from gateway.config import Settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_app
    from gateway.config import Settings
    from gateway.logs import configure

    settings = Settings()
    configure(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    return 0


def _backend(args: argparse.Namespace) -> int:
    import uvicorn

    from backends.app import create_app
    from backends.settings import BackendSettings
    from gateway.logs import configure

    configure("INFO")
    settings = BackendSettings()
    # Flags beat the environment: they are what the operator typed for this one process.
    faults = dataclasses.replace(
        settings.faults(args.name),
        **{
            field: value
            for field, value in (
                ("latency_ms", args.inject_latency_ms),
                ("error_rate", args.inject_error_rate),
                ("malformed_rate", args.inject_malformed_rate),
            )
            if value is not None
        },
    )
    uvicorn.run(
        create_app(args.name, settings, faults),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
    )
    return 0


def _data_build(args: argparse.Namespace) -> int:
    from backends.ingest.build import build_data
    from backends.settings import BackendSettings

    report = build_data(BackendSettings(), force=args.force, progress=not args.quiet)
    print(report)
    return 0


def _train(args: argparse.Namespace) -> int:
    from gateway.config import Settings
    from ranking.train import is_stale, train

    settings = Settings()
    if args.if_stale and not is_stale(settings.db_path, settings.models_dir):
        print("model is up to date")
        return 0
    if args.engine == "spark":
        return _train_spark(args, settings)
    path = train(
        settings.db_path,
        settings.models_dir,
        max_ease_items=settings.max_ease_items,
        progress=not args.quiet,
    )
    print(f"model written to {path}")
    return 0


def _spark(args: argparse.Namespace, settings: Settings, app: str) -> SparkSession:
    from batch.session import spark_session

    return spark_session(
        args.master or settings.spark_master,
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


def _train_spark(args: argparse.Namespace, settings: Settings) -> int:
    from batch.als import ALSParams
    from batch.train import train_spark

    given = (args.alpha, args.regularization)
    if (given[0] is None) != (given[1] is None):
        print("error: give both --alpha and --regularization, or neither", file=sys.stderr)
        return 2
    params = None
    if args.alpha is not None:
        params = ALSParams(
            alpha=args.alpha,
            regularization=args.regularization,
            **{k: v for k, v in (("factors", args.factors), ("iterations", args.iterations)) if v},
        )
    log = _export_log(args, settings)
    spark = _spark(args, settings, "crossfade-train")
    try:
        path = train_spark(spark, log, settings.models_dir, params=params, progress=not args.quiet)
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
    spark = _spark(args, settings, "crossfade-mixes")
    try:
        report = build_mixes(spark, log, settings.models_dir, settings.db_path, day)
    finally:
        spark.stop()
    print(report)
    return 0


def _data_export(args: argparse.Namespace) -> int:
    from backends.store.export import export_parquet
    from gateway.config import Settings

    print(export_parquet(Settings().db_path, args.out))
    return 0


def _token(args: argparse.Namespace) -> int:
    from gateway.authenticator import InvalidToken, issue_token
    from gateway.config import Settings

    try:
        print(issue_token(Settings(), args.handle, ttl_s=args.ttl))
    except InvalidToken as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _assets(args: argparse.Namespace) -> int:
    from gateway.assets import VENDOR_DIR, fetch_assets

    print(f"GraphiQL assets in {fetch_assets(VENDOR_DIR, force=args.force)}")
    return 0


def _persist(args: argparse.Namespace) -> int:
    import orjson

    from gateway.config import OPERATIONS_DIR
    from gateway.governance.manifest import ManifestError, build_manifest
    from gateway.graphql_schema import build_schema

    files = args.files or sorted(OPERATIONS_DIR.glob("*.graphql"))
    try:
        manifest = build_manifest(files, build_schema()._schema)
    except ManifestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.out.write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    operations: list[dict[str, str]] = manifest["operations"]  # type: ignore[assignment]
    for op in operations:
        print(f"{op['id']}  {op['type']:<8} {op['name']}")
    print(f"{len(operations)} operations written to {args.out}")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from gateway.graphql_schema import build_schema

    print(build_schema().as_str())
    return 0


def _eval(args: argparse.Namespace) -> int:
    import json

    from gateway.config import Settings
    from ranking.offline import EvalError, run_eval

    settings = Settings()
    spark = None
    try:
        variants = None
        if args.experiment:
            from ranking.experiments import parse_plan

            variants = parse_plan(settings.experiments).model_variants(args.experiment)
        extra = None
        if args.engine == "spark":
            from batch.evaluation import NAME, spark_als_factory

            spark = _spark(args, settings, "crossfade-eval")
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
    return 0


def _bounded(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not between {low} and {high}")
        return value

    return parse


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def _spark_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--master", help="spark: local[N], local[*] or spark://HOST:PORT (CROSSFADE_SPARK_MASTER)"
    )
    p.add_argument(
        "--log",
        type=Path,
        help="spark: an export (`crossfade data export`) to read; default: export the store "
        "to CROSSFADE_EXPORT_DIR first",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crossfade", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the GraphQL gateway")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=_serve)

    backend = sub.add_parser("backend", help="serve one reference backend on its own")
    backend.add_argument("name", choices=BACKENDS)
    backend.add_argument("--host", default="127.0.0.1")
    backend.add_argument("--port", type=int, required=True)
    backend.add_argument(
        "--inject-latency-ms", type=_bounded(0, 600_000), help="delay every data call (tests)"
    )
    backend.add_argument(
        "--inject-error-rate", type=_bounded(0, 1), help="share of calls answered 503 (tests)"
    )
    backend.add_argument(
        "--inject-malformed-rate",
        type=_bounded(0, 1),
        help="share of calls answered 200 with a truncated body (tests)",
    )
    backend.set_defaults(func=_backend)

    data = sub.add_parser("data", help="the data set")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    build = data_sub.add_parser("build", help="download and ingest the catalog, simulate listeners")
    build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(func=_data_build)
    export = data_sub.add_parser(
        "export", help="write the listening log (by day) and the catalog as Parquet"
    )
    export.add_argument("--out", type=Path, required=True, help="directory to write")
    export.set_defaults(func=_data_export)

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
    _spark_arguments(train)
    train.add_argument("--alpha", type=float, help="spark: ALS confidence scale (else tuned)")
    train.add_argument("--regularization", type=float, help="spark: ALS λ (else tuned)")
    train.add_argument("--factors", type=int, help="spark: ALS rank (default 64)")
    train.add_argument("--iterations", type=int, help="spark: ALS sweeps (default 15)")
    train.set_defaults(func=_train)

    mixes = sub.add_parser("mixes", help="batch-built Discover Weekly and Daily Mixes")
    mixes_sub = mixes.add_subparsers(dest="mixes_command", required=True)
    mixes_build = mixes_sub.add_parser(
        "build", help="build every listener's mixes for this week and day into the store"
    )
    mixes_build.add_argument("--engine", choices=("spark",), default="spark")
    _spark_arguments(mixes_build)
    mixes_build.add_argument(
        "--date",
        type=_date,
        help="the day (and its ISO week) to build for, YYYY-MM-DD (default: today, UTC)",
    )
    mixes_build.set_defaults(func=_mixes_build)

    token = sub.add_parser("token", help="print a development bearer token for a listener")
    token.add_argument("handle", help="e.g. user-1")
    token.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    token.set_defaults(func=_token)

    assets = sub.add_parser("assets", help="GraphiQL's static files")
    assets_sub = assets.add_subparsers(dest="assets_command", required=True)
    fetch = assets_sub.add_parser("fetch", help="fetch them from the npm registry")
    fetch.add_argument("--force", action="store_true")
    fetch.set_defaults(func=_assets)

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
        "--engine",
        choices=("numpy", "spark"),
        default="numpy",
        help="spark: add Spark MLlib ALS as the model spark_als",
    )
    evaluate.add_argument("--master", help="Spark master (default: CROSSFADE_SPARK_MASTER)")
    evaluate.set_defaults(func=_eval)

    schema = sub.add_parser("schema", help="print the SDL")
    schema.set_defaults(func=_schema)

    persist = sub.add_parser(
        "persist", help="build a trusted-documents manifest from .graphql files"
    )
    persist.add_argument("out", type=Path, help="the manifest to write, e.g. manifest.json")
    persist.add_argument(
        "files",
        type=Path,
        nargs="*",
        help=".graphql files, one entry per operation (default: schema/operations/*.graphql)",
    )
    persist.set_defaults(func=_persist)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
