"""Without ``CROSSFADE_OTEL_ENDPOINT`` tracing costs nothing: no tracing code is loaded, no
span is made and no trace context is attached, whatever the client sends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.repo import REPO, operation
from tests.support.tokens import bearer

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

# A fresh interpreter: the test process itself has loaded the tracing modules for other tests.
# OpenTelemetry's API may still be imported (redis-py loads it for its own observability), so
# every span's construction and every context attach is counted from the start.
SCRIPT = f"""
import asyncio, sys
from collections import Counter
import opentelemetry.context
import opentelemetry.sdk.trace
import opentelemetry.trace

made = Counter()

def counting(name, original):
    def wrapper(*args, **kwargs):
        made[name] += 1
        return original(*args, **kwargs)
    return wrapper

opentelemetry.context.attach = counting("attach", opentelemetry.context.attach)
for cls in (opentelemetry.sdk.trace.Span, opentelemetry.trace.NonRecordingSpan):
    cls.__init__ = counting(cls.__name__, cls.__init__)

import httpx
from gateway.app import create_app
from gateway.config import Settings
from tests.support.repo import operation
from tests.support.tokens import bearer

async def main():
    app = create_app(Settings(data_dir=sys.argv[1]))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
    ) as client:
        headers = {{**bearer("user-1"), "traceparent": "{TRACEPARENT}"}}
        for name in ("HomeFeed", "MadeForYou"):
            response = await client.post(
                "/graphql", json={{"query": operation(name)}}, headers=headers
            )
            assert response.status_code == 200 and "errors" not in response.json(), response.text
            assert "x-trace-id" not in response.headers
    for http in app.state.http_clients.values():  # in-process backends: untimed SQLite
        assert type(http._transport.app.state.pool.reader()).__name__ == "Connection"
    ours = ("gateway.tracing", "resolvers.clients.spans", "backends.tracing")
    print(sorted(m for m in ours if m in sys.modules), dict(made))

asyncio.run(main())
"""


@pytest.mark.slow
def test_a_gateway_without_an_endpoint_makes_no_span(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CROSSFADE_", "OTEL_"))}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[] {}"


@pytest.mark.anyio
async def test_without_an_endpoint_no_trace_id_is_answered(client: httpx.AsyncClient) -> None:
    assert client.app.state.tracing is None  # type: ignore[attr-defined]
    response = await client.post(
        "/graphql",
        json={"query": operation("Node"), "variables": {"id": "not-an-id"}},
        headers={**bearer("user-1"), "traceparent": TRACEPARENT},
    )
    assert "x-trace-id" not in response.headers
    (error,) = response.json()["errors"]
    assert "traceId" not in error["extensions"]
