"""The ``crossfade`` command: serve, run a backend, build data, train, issue tokens."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from backends.names import BACKENDS

if TYPE_CHECKING:
    from graphql import GraphQLSchema


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

    handles = [*args.handles, *(f"user-{n}" for n in range(1, (args.count or 0) + 1))]
    if not handles:
        print("error: name at least one listener (user-1 ...) or pass --count N", file=sys.stderr)
        return 2
    settings = Settings()
    try:
        # All signed before any is printed: a bad handle anywhere prints no partial list.
        tokens = [issue_token(settings, handle, ttl_s=args.ttl) for handle in handles]
    except InvalidToken as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write("".join(f"{token}\n" for token in tokens))
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


def _sdl_schema(path: Path | None) -> tuple[GraphQLSchema, str]:
    """The schema in an SDL file, or the live code's (as printed, like the committed SDL)."""
    from graphql import build_schema as parse_sdl

    if path is None:
        from gateway.graphql_schema import build_schema

        return parse_sdl(build_schema().as_str()), "the live schema"
    return parse_sdl(path.read_text()), str(path)


def _schema_check(args: argparse.Namespace) -> int:
    from graphql import GraphQLError
    from graphql import build_schema as parse_sdl

    from gateway.config import Settings
    from gateway.schema_checks.base_schema import BaseError, BaseUnavailable, load_base
    from gateway.schema_checks.schema_check import render, run_check
    from gateway.usage import usage_source
    from gateway.usage.usage_report import since_hour

    settings = Settings()
    days = args.days or settings.schema_check_days
    try:
        base = load_base(args.base)
    except BaseUnavailable as exc:
        print(f"schema check skipped: {exc}")
        return 0
    except BaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        new, new_label = _sdl_schema(args.schema)
        base_schema = parse_sdl(base.sdl)
    except (OSError, GraphQLError, TypeError) as exc:
        print(f"error: cannot build a schema: {exc}", file=sys.stderr)
        return 2
    try:
        window = usage_source(settings).window(since_hour(days * 24 * 3600))
    except Exception as exc:  # a store that is configured but down: no verdict without it
        print(f"error: usage unavailable: {exc}", file=sys.stderr)
        return 2
    operations = settings.operations_dir
    result = run_check(
        base_schema,
        new,
        base_label=base.label,
        new_label=new_label,
        window=window,
        days=days,
        operation_files=sorted(operations.glob("*.graphql")) if operations else [],
        manifest=settings.trusted_documents,
    )
    print(render(result))
    return result.exit_code


def _usage(args: argparse.Namespace) -> int:
    from gateway.config import Settings
    from gateway.usage import usage_source
    from gateway.usage.coordinates import deprecated_coordinates
    from gateway.usage.usage_report import (
        deprecated_report,
        describe,
        parse_since,
        since_hour,
        usage_report,
    )

    settings = Settings()
    # --deprecated asks "can it go yet?": by default over the schema check's window.
    since = args.since or (f"{settings.schema_check_days}d" if args.deprecated else "7d")
    try:
        seconds = parse_since(since)
        deprecated = deprecated_coordinates(_sdl_schema(args.schema)[0]) if args.deprecated else {}
        window = usage_source(settings).window(since_hour(seconds), client=args.client)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # an unreachable Redis, an unreadable file
        print(f"error: usage unavailable: {exc}", file=sys.stderr)
        return 2
    label = describe(since)
    if args.deprecated:
        print(deprecated_report(window, deprecated, label=label, as_json=args.json))
    else:
        print(usage_report(window, label=label, wanted=args.field, as_json=args.json))
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


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not between {low} and {high}")
        return value

    return parse


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days >= 1")
    return int(text)


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

    token = sub.add_parser(
        "token", help="print development bearer tokens for listeners, one per line, in order"
    )
    token.add_argument("handles", nargs="*", metavar="handle", help="e.g. user-1 user-2")
    token.add_argument(
        "--count", type=_bounded_int(1, 1_000_000), help="also user-1 ... user-N, after the handles"
    )
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

    schema = sub.add_parser("schema", help="print the SDL (default), or check a change")
    schema.set_defaults(func=_schema)
    schema_sub = schema.add_subparsers(dest="schema_command")
    schema_sub.add_parser("print", help="print the SDL").set_defaults(func=_schema)
    check = schema_sub.add_parser(
        "check",
        help="compare a schema with a base: breaking changes in use, operations still valid",
    )
    check.add_argument(
        "--base", required=True, help="an SDL file, or a git revision (its schema/schema.graphql)"
    )
    check.add_argument("--schema", type=Path, help="the new SDL (default: the live code's)")
    check.add_argument(
        "--days",
        type=_positive,
        help="usage window in days (default: CROSSFADE_SCHEMA_CHECK_DAYS, 30)",
    )
    check.set_defaults(func=_schema_check)

    usage = sub.add_parser("usage", help="field usage per client, from the gateway's counts")
    usage.add_argument("--since", help="window: 24h, 7d, 2w (default 7d; --deprecated: 30d)")
    usage.add_argument("--client", help="only this client (apollographql-client-name)")
    usage.add_argument("--field", help="Type.field (with its arguments), Type.field(arg:), or Type")
    usage.add_argument("--json", action="store_true", help="print JSON")
    usage.add_argument(
        "--deprecated",
        action="store_true",
        help="the deprecated fields still in use, with their clients and last use",
    )
    usage.add_argument(
        "--schema", type=Path, help="SDL whose deprecations to list (default: the live code's)"
    )
    usage.set_defaults(func=_usage)

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
