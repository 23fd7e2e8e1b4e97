"""The ``crossfade`` command: serve, run a backend, build data, train, issue tokens."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from backends.names import BACKENDS


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
    tracer = None
    if settings.otel_endpoint:
        from backends.tracing import build_tracer

        tracer = build_tracer(args.name, settings.otel_endpoint)
    uvicorn.run(
        create_app(args.name, settings, faults, tracer),
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
    path = train(settings.db_path, settings.models_dir, progress=not args.quiet)
    print(f"model written to {path}")
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

    from ranking.offline import EvalError, run_eval

    try:
        variants = None
        if args.experiment:
            from gateway.config import Settings
            from ranking.experiments import parse_plan

            variants = parse_plan(Settings().experiments).model_variants(args.experiment)
        report, table = run_eval(args.interactions, variants=variants, progress=not args.json)
    except (EvalError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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

    train = sub.add_parser("train", help="train the ranking model")
    train.add_argument("--if-stale", action="store_true", help="only when missing or stale")
    train.add_argument("--quiet", action="store_true")
    train.set_defaults(func=_train)

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
        "--out",
        type=Path,
        help="also write the JSON report (eval.json) and its chart (eval.png) into this folder",
    )
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
