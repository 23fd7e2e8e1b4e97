"""Running things: ``serve`` (the gateway), ``backend`` (one reference backend on its own)
and ``assets fetch`` (GraphiQL's static files, which the gateway serves)."""

from __future__ import annotations

import argparse
import dataclasses

from backends.names import BACKENDS
from gateway.commands.arguments import Subparsers, bounded


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


def _assets(args: argparse.Namespace) -> int:
    from gateway.assets import VENDOR_DIR, fetch_assets

    print(f"GraphiQL assets in {fetch_assets(VENDOR_DIR, force=args.force)}")
    return 0


def add_serve(sub: Subparsers) -> None:
    serve = sub.add_parser("serve", help="serve the GraphQL gateway")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=_serve)


def add_backend(sub: Subparsers) -> None:
    backend = sub.add_parser("backend", help="serve one reference backend on its own")
    backend.add_argument("name", choices=BACKENDS)
    backend.add_argument("--host", default="127.0.0.1")
    backend.add_argument("--port", type=int, required=True)
    backend.add_argument(
        "--inject-latency-ms", type=bounded(0, 600_000), help="delay every data call (tests)"
    )
    backend.add_argument(
        "--inject-error-rate", type=bounded(0, 1), help="share of calls answered 503 (tests)"
    )
    backend.add_argument(
        "--inject-malformed-rate",
        type=bounded(0, 1),
        help="share of calls answered 200 with a truncated body (tests)",
    )
    backend.set_defaults(func=_backend)


def add_assets(sub: Subparsers) -> None:
    assets = sub.add_parser("assets", help="GraphiQL's static files")
    assets_sub = assets.add_subparsers(dest="assets_command", required=True)
    fetch = assets_sub.add_parser("fetch", help="fetch them from the npm registry")
    fetch.add_argument("--force", action="store_true")
    fetch.set_defaults(func=_assets)
