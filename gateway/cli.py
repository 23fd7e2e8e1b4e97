"""The ``crossfade`` command: serve, run a backend, build data, train, issue tokens."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


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
    uvicorn.run(
        create_app(args.name, BackendSettings()),
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
    from gateway.auth import InvalidToken, issue_token
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


def _schema(args: argparse.Namespace) -> int:
    from gateway.graphql_schema import build_schema

    print(build_schema().as_str())
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crossfade", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the GraphQL gateway")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=_serve)

    backend = sub.add_parser("backend", help="serve one reference backend on its own")
    backend.add_argument("name", choices=["catalog", "library", "playlists", "search"])
    backend.add_argument("--host", default="127.0.0.1")
    backend.add_argument("--port", type=int, required=True)
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

    schema = sub.add_parser("schema", help="print the SDL")
    schema.set_defaults(func=_schema)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
