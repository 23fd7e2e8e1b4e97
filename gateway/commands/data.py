"""``data``: build the reference store (catalog download and ingest, simulated listeners),
and export its listening log and catalog as Parquet for the batch jobs."""

from __future__ import annotations

import argparse
from pathlib import Path

from gateway.commands.arguments import Subparsers


def _data_build(args: argparse.Namespace) -> int:
    from backends.ingest.build import build_data
    from backends.settings import BackendSettings

    report = build_data(BackendSettings(), force=args.force, progress=not args.quiet)
    print(report)
    return 0


def _data_export(args: argparse.Namespace) -> int:
    from backends.store.export import export_parquet
    from gateway.config import Settings

    print(export_parquet(Settings().db_path, args.out))
    return 0


def add_data(sub: Subparsers) -> None:
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
