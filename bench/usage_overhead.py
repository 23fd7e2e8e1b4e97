"""What counting field usage costs a request: CPU per request (time.process_time) with usage
off and on, side by side in one run, for Node (the smallest stakeholder operation), Search and
HomeFeed, with the function calls per request (cProfile: a count other load does not change);
then the extension alone, count() alone, and a flush's cost, each measured on its own.

Both apps run in this process and are called as ASGI apps directly (no HTTP client, whose CPU
would dilute the figures), with in-process backends; requests alternate between the two apps
in blocks, so machine noise hits both alike, and each figure is the median over blocks of the
block's CPU per request. Rate limits are on with bursts that never refuse. The periodic flush
is not running (no lifespan): a flush happens every CROSSFADE_USAGE_FLUSH_S seconds, not per
request, and is measured on its own below.

    .venv/bin/python bench/usage_overhead.py [--blocks 40] [--block 25]   # needs make data model
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from graphql import parse

from gateway.app import create_app
from gateway.authenticator import issue_token
from gateway.config import OPERATIONS_DIR, Settings
from gateway.usage.sqlite_usage import SqliteUsage
from gateway.usage.usage_counter import UsageCounter

ASGIApp = Callable[..., Awaitable[None]]
NEVER_REFUSE: dict[str, Any] = {
    "rate_limit_listener_burst": 10**9,
    "rate_limit_client_burst": 10**9,
    "rate_limit_listener_cost_burst": 10**12,
    "rate_limit_client_cost_burst": 10**12,
}
OPERATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "Node": ((OPERATIONS_DIR / "Node.graphql").read_text(), {"id": "VHJhY2s6MQ=="}),
    "Search": ((OPERATIONS_DIR / "Search.graphql").read_text(), {"q": "metal"}),
    "HomeFeed": ((OPERATIONS_DIR / "HomeFeed.graphql").read_text(), {}),
}


async def call(app: ASGIApp, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """One POST /graphql straight into the ASGI app; returns the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
    }
    done = asyncio.Event()
    received = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    return status


async def function_calls(app: ASGIApp, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """Function calls per request (cProfile, mean of 20): a count no other load changes."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(20):
        await call(app, body, headers)
    profile.disable()
    calls: int = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
    return round(calls / 20)


async def compare(blocks: int, block: int, usage_db: Path) -> None:
    base = Settings(**NEVER_REFUSE, usage_db=usage_db)
    apps = {
        "off": create_app(base.model_copy(update={"usage": False})),
        "on": create_app(base),
    }
    token = issue_token(base, "user-1")
    headers = [
        (b"authorization", f"Bearer {token}".encode()),
        (b"apollographql-client-name", b"bench"),
        (b"apollographql-client-version", b"1.0.0"),
    ]
    print(
        f"CPU per request (time.process_time), usage off vs on: median of {blocks} blocks of "
        f"{block} requests each, alternating"
    )
    print(
        f"{'operation':<10}{'off µs':>10}{'on µs':>10}{'delta µs':>10}{'overhead':>10}"
        f"{'min off':>10}{'min on':>10}{'calls off':>11}{'calls on':>10}"
    )
    for label, (query, variables) in OPERATIONS.items():
        body = orjson.dumps({"query": query, "variables": variables})
        for app in apps.values():  # warm caches, documents and the model
            for _ in range(20):
                assert await call(app, body, headers) == 200
        per_request: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(blocks):
            for name, app in apps.items():
                started = time.process_time()
                for _ in range(block):
                    await call(app, body, headers)
                per_request[name].append((time.process_time() - started) / block * 1e6)
        off = statistics.median(per_request["off"])
        on = statistics.median(per_request["on"])
        calls = {name: await function_calls(app, body, headers) for name, app in apps.items()}
        print(
            f"{label:<10}{off:>10.0f}{on:>10.0f}{on - off:>+10.1f}{(on - off) / off:>+10.1%}"
            f"{min(per_request['off']):>10.0f}{min(per_request['on']):>10.0f}"
            f"{calls['off']:>11}{calls['on']:>10}"
        )
    counter = apps["on"].state.usage
    await counter.flush()
    for app in apps.values():
        await app.state.governance.aclose()


def hook_alone(blocks: int, n: int, usage_db: Path) -> None:
    """The whole extension (created per operation, its hook, count()) on an operation that
    touches no resolver or backend, so nothing else varies: CPU per operation, with and
    without it, min over blocks."""
    from types import SimpleNamespace

    from gateway.graphql_schema import build_schema

    settings = Settings(**NEVER_REFUSE)
    counter = UsageCounter(
        SqliteUsage(usage_db, retention_days=90),
        flush_s=10,
        max_keys=10_000,
        document_cache_size=1024,
    )
    schemas = {"off": build_schema(settings), "on": build_schema(settings, usage=counter)}
    request = SimpleNamespace(
        scope={"headers": [(b"apollographql-client-name", b"bench")], "state": {}}
    )
    context = SimpleNamespace(request=request, extensions={})
    query = "query Bench { __typename }"

    async def run() -> dict[str, float]:
        best = dict.fromkeys(schemas, float("inf"))
        for _ in range(blocks):
            for name, schema in schemas.items():
                started = time.process_time()
                for _ in range(n):
                    await schema.execute(query, context_value=context)
                best[name] = min(best[name], (time.process_time() - started) / n * 1e6)
        return best

    best = asyncio.run(run())
    print(
        f"the extension alone (query Bench {{ __typename }}, min of {blocks} x {n}): "
        f"{best['off']:.1f} µs off, {best['on']:.1f} µs on: {best['on'] - best['off']:+.1f} µs "
        "per operation"
    )


def counter_alone(n: int, usage_db: Path) -> None:
    """count() per request on a cached document, and one flush of a busy interval."""
    from gateway.graphql_schema import build_schema

    schema = build_schema()._schema
    query = (OPERATIONS_DIR / "HomeFeed.graphql").read_text()
    document = parse(query)
    counter = UsageCounter(
        SqliteUsage(usage_db, retention_days=90),
        flush_s=10,
        max_keys=10_000,
        document_cache_size=1024,
    )
    headers = [
        (b"host", b"bench"),
        (b"content-type", b"application/json"),
        (b"authorization", b"Bearer x"),
        (b"apollographql-client-name", b"bench"),
        (b"apollographql-client-version", b"1.0.0"),
    ]
    counter.count(schema, query, None, document, headers)
    started = time.process_time()
    for _ in range(n):
        counter.count(schema, query, None, document, headers)
    per_call = (time.process_time() - started) / n * 1e6
    print(f"count() alone, cached document: {per_call:.2f} µs CPU per request")
    # A busy interval: 20 clients x 3 versions x every stakeholder operation.
    documents = []
    for path in sorted(OPERATIONS_DIR.glob("*.graphql")):
        text = path.read_text()
        parsed = parse(text)
        for definition in parsed.definitions:
            name = getattr(getattr(definition, "name", None), "value", None)
            if getattr(definition, "operation", None) is not None:
                documents.append((text, name, parsed))
    for client in range(20):
        for version in range(3):
            named = [*headers[:3]]
            named.append((b"apollographql-client-name", f"client-{client}".encode()))
            named.append((b"apollographql-client-version", f"{version}.0".encode()))
            for text, name, parsed in documents:
                counter.count(schema, text, name, parsed, named)
    keys = len(counter._counts)
    rows = sum(len(usage.coordinates) for (_, _, _, usage) in counter._counts)
    started = time.process_time()
    asyncio.run(counter.flush())
    flush_ms = (time.process_time() - started) * 1e3
    print(
        f"one flush of {keys} counters ({rows} rows) to SQLite: {flush_ms:.1f} ms CPU, "
        f"once per CROSSFADE_USAGE_FLUSH_S (10 s): {flush_ms / 10:.2f} ms CPU per second"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blocks", type=int, default=40)
    parser.add_argument("--block", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(compare(args.blocks, args.block, Path(tmp) / "usage.db"))
        hook_alone(20, 500, Path(tmp) / "hook.db")
        counter_alone(20_000, Path(tmp) / "alone.db")


if __name__ == "__main__":
    main()
