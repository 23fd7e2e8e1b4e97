"""The schema as a contract: ``schema`` (print the SDL, check a change against a base and
the recorded usage), ``usage`` (field usage per client) and ``persist`` (a trusted-documents
manifest)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.commands.arguments import Subparsers, positive_days

if TYPE_CHECKING:
    from graphql import GraphQLSchema


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


def add_schema(sub: Subparsers) -> None:
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
        type=positive_days,
        help="usage window in days (default: CROSSFADE_SCHEMA_CHECK_DAYS, 30)",
    )
    check.set_defaults(func=_schema_check)


def add_usage(sub: Subparsers) -> None:
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


def add_persist(sub: Subparsers) -> None:
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
