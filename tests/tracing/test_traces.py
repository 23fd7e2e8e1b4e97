"""Traces as a collector receives them: a real OTLP/HTTP receiver on loopback, the gateway
in-process, and the catalog as a separate backend process continuing the trace."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.calls import CallMeter
from tests.support.loopback import free_port, wait_healthy
from tests.support.otlp_receiver import ReceivedSpan, Receiver, otlp_receiver
from tests.support.repo import operation
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

# Every span name a HomeFeed may produce: the operation, backend calls (client and server
# side), cache lookups and ranking calls. Nothing named after a field.
SPAN_NAME = re.compile(
    r"^(query HomeFeed|(GET|POST) (catalog|library|playlists|search)"
    r"|(GET|POST) /[a-z/{}-]*|cache [a-z_.]+|ranking [a-z_]+)$"
)
EXPORT_DELAY_MS = "50"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with otlp_receiver() as rx:
        yield rx


@pytest.fixture(scope="module")
def catalog_url(data_dir: Path, receiver: Receiver) -> Iterator[str]:
    """The catalog backend as its own process, exporting its spans to the same receiver."""
    port = free_port()
    env = {
        **os.environ,
        "CROSSFADE_DATA_DIR": str(data_dir),
        "CROSSFADE_OTEL_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": EXPORT_DELAY_MS,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "backend", "catalog", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, time.monotonic() + 30)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@asynccontextmanager
async def traced_gateway(
    data_dir: Path, receiver: Receiver, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.app import create_app
    from gateway.config import Settings

    app = create_app(
        Settings(data_dir=data_dir, otel_endpoint=receiver.endpoint, rate_limit=False, **settings)
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client:
            yield client
    finally:
        app.state.tracing.shutdown()  # exports what is queued


def children(spans: list[ReceivedSpan], parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [s for s in spans if s.parent_id == parent.span_id]


@pytest.fixture(autouse=True)
def fast_export(monkeypatch: pytest.MonkeyPatch, settings_env: Path) -> None:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", EXPORT_DELAY_MS)


@pytest.mark.slow
async def test_one_home_feed_is_one_trace_across_the_gateway_and_a_backend_process(
    data_dir: Path, receiver: Receiver, catalog_url: str, listener: str
) -> None:
    # given a client that is itself traced: it sends its span as the W3C traceparent
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    headers = {**bearer(listener), "traceparent": f"00-{trace_id}-{client_span}-01"}
    # when it asks for Home through a gateway whose catalog is a separate process
    async with traced_gateway(data_dir, receiver, catalog_url=catalog_url) as gateway:
        with CallMeter() as meter:
            response = await gateway.post(
                "/graphql", json={"query": operation("HomeFeed")}, headers=headers
            )
    assert response.status_code == 200
    assert "errors" not in response.json()
    # then the answer names the client's trace
    assert response.headers["x-trace-id"] == trace_id
    # and the collector gets that one trace, the catalog's spans included
    spans = receiver.wait_for(
        lambda got: (
            sum(s.service == "crossfade-catalog" and s.trace_id == trace_id for s in got)
            == meter.calls["catalog"]
        )
    )
    trace = [s for s in spans if s.trace_id == trace_id]
    (root,) = [s for s in trace if s.parent_id == client_span]
    assert (root.service, root.kind, root.name) == ("crossfade-gateway", "server", "query HomeFeed")
    assert root.attributes["graphql.operation.type"] == "query"
    assert root.attributes["graphql.operation.name"] == "HomeFeed"
    assert root.attributes["crossfade.request_id"] == response.headers["x-request-id"]

    # every span is one of a few names, never a field's; the gateway's hang off the operation
    strays = sorted({s.name for s in trace if not SPAN_NAME.match(s.name)})
    assert not strays, strays
    under_root = children(trace, root)
    assert {s.service for s in under_root} == {"crossfade-gateway"}
    calls = [s for s in under_root if s.kind == "client"]
    # one client span per backend request the gateway counted
    assert Counter(s.attributes["peer.service"] for s in calls) == meter.calls
    assert {s.name for s in calls} == {f"GET {b}" for b in meter.calls}
    assert all(s.attributes["http.response.status_code"] == 200 for s in calls)
    # cache lookups and ranking calls are spans of their own under the operation
    lookups = {s.name for s in under_root if s.name.startswith("cache ")}
    assert {"cache catalog.entities", "cache catalog.track_views", "cache viewer"} <= lookups
    # one span for the three entity caches a lookup reads, with its counts
    (entities, *_) = [s for s in under_root if s.name == "cache catalog.entities"]
    counted = entities.attributes
    assert counted["crossfade.cache.keys"] >= counted["crossfade.cache.hits"] >= 0
    ranking = {s.name for s in under_root if s.name.startswith("ranking ")}
    assert {"ranking recommend", "ranking similar_tracks", "ranking top_artists"} <= ranking

    # each call says how long its backend spent in SQLite (Server-Timing), in-process or not
    assert all(s.attributes["crossfade.sql.time_ms"] > 0 for s in calls)
    # and the backend process continues the trace: a server span under each of its calls
    catalog_side = [s for s in trace if s.service == "crossfade-catalog"]
    assert [s for s in trace if s.kind == "server" and s != root] == catalog_side
    assert len(catalog_side) == meter.calls["catalog"]
    for call in (c for c in calls if c.name == "GET catalog"):
        (server,) = children(trace, call)
        assert server.kind == "server"
        assert server.name == f"GET {server.attributes['http.route']}"
        assert server.attributes["url.path"] == call.attributes["url.path"]
        assert server.attributes["crossfade.sql.statements"] >= 1
        sql_ms = server.attributes["crossfade.sql.time_ms"]
        assert sql_ms == call.attributes["crossfade.sql.time_ms"]
        assert server.duration_ms <= call.duration_ms


async def test_without_a_traceparent_the_gateway_starts_the_trace_and_errors_carry_it(
    data_dir: Path, receiver: Receiver
) -> None:
    # given a search backend that nothing answers
    dead = f"http://127.0.0.1:{free_port()}"
    async with traced_gateway(data_dir, receiver, search_url=dead) as gateway:
        # when a listener searches, sending no traceparent
        response = await gateway.post(
            "/graphql",
            json={"query": operation("Search"), "variables": {"q": "metalica"}},
            headers=bearer("user-1"),
        )
    # then the new trace's ID comes back in the header and in the error
    trace_id = response.headers["x-trace-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    (error,) = response.json()["errors"]
    assert error["extensions"] == {
        "code": "BACKEND_UNAVAILABLE",
        "service": "search",
        "traceId": trace_id,
    }
    # and the trace shows which backend failed, once per attempt
    spans = receiver.wait_for(lambda got: any(s.trace_id == trace_id for s in got))
    (root,) = [s for s in spans if s.trace_id == trace_id and s.parent_id is None]
    assert root.name == "query Search" and root.error
    attempts = [s for s in children(spans, root) if s.name == "GET search"]
    assert len(attempts) >= 2  # reads are retried
    assert all(s.error and s.attributes["error.type"] == "BACKEND_UNAVAILABLE" for s in attempts)


async def test_a_mutation_is_named_by_type_and_name_and_its_write_is_timed(
    data_dir: Path, receiver: Receiver, listener: str
) -> None:
    from resolvers.global_id import to_global_id

    async with traced_gateway(data_dir, receiver) as gateway:
        response = await gateway.post(
            "/graphql",
            json={
                "query": operation("PlaylistEdits"),
                "operationName": "RecordPlay",
                "variables": {"trackId": to_global_id("Track", 1)},
            },
            headers=bearer(listener),
        )
    assert "errors" not in response.json(), response.json()
    trace_id = response.headers["x-trace-id"]
    spans = receiver.wait_for(lambda got: any(s.name == "POST library" for s in got))
    trace = [s for s in spans if s.trace_id == trace_id]
    (root,) = [s for s in trace if s.parent_id is None]
    assert root.name == "mutation RecordPlay"
    (write,) = [s for s in trace if s.name == "POST library"]
    assert write.parent_id == root.span_id
    assert write.attributes["url.path"] == "/plays"
    assert write.attributes["http.response.status_code"] == 201
    assert write.attributes["crossfade.sql.time_ms"] > 0  # with its fsynced commit


async def test_refusals_before_any_operation_echo_the_callers_trace(
    data_dir: Path, receiver: Receiver
) -> None:
    trace_id = secrets.token_hex(16)
    async with traced_gateway(data_dir, receiver) as gateway:
        response = await gateway.post(
            "/graphql",
            content=b"query=oops",
            headers={
                "content-type": "text/plain",
                "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
            },
        )
        malformed = await gateway.post(
            "/graphql", json={"query": "{ me { id } }"}, headers={"traceparent": "00-zz-zz-01"}
        )
    assert response.status_code == 415
    assert response.headers["x-trace-id"] == trace_id
    # a malformed traceparent is ignored: the operation starts a trace of its own
    assert malformed.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", malformed.headers["x-trace-id"])


async def test_unsampled_traces_make_no_spans_and_a_callers_sampled_trace_is_kept(
    data_dir: Path, receiver: Receiver, listener: str
) -> None:
    # given a gateway that records no new trace of its own
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    async with traced_gateway(data_dir, receiver, otel_sample_ratio=0.0) as gateway:
        # when one client sends no traceparent and another sends a sampled one
        unsampled = await gateway.post(
            "/graphql", json={"query": operation("Library")}, headers=bearer(listener)
        )
        sampled = await gateway.post(
            "/graphql",
            json={"query": operation("Search"), "variables": {"q": "love"}},
            headers={**bearer(listener), "traceparent": f"00-{trace_id}-{client_span}-01"},
        )
    # then the first answer names no trace (none was recorded) and the second names the caller's
    assert unsampled.status_code == sampled.status_code == 200
    assert "x-trace-id" not in unsampled.headers
    assert sampled.headers["x-trace-id"] == trace_id
    spans = receiver.wait_for(lambda got: any(s.parent_id == client_span for s in got))
    assert {"query Search", "GET search"} <= {s.name for s in receiver.trace(trace_id)}
    assert not any(s.name == "query Library" for s in spans)


async def test_a_response_cache_hit_is_a_span_of_its_own_and_answers_its_trace(
    data_dir: Path, receiver: Receiver, listener: str
) -> None:
    library = {"query": operation("Library")}
    async with traced_gateway(data_dir, receiver) as gateway:
        first = await gateway.post("/graphql", json=library, headers=bearer(listener))
        with CallMeter() as meter:
            hit = await gateway.post("/graphql", json=library, headers=bearer(listener))
    assert (first.headers["x-cache"], hit.headers["x-cache"]) == ("miss", "hit")
    assert meter.total == 0
    # a trace of its own, one span: nothing ran under it
    trace_id = hit.headers["x-trace-id"]
    assert trace_id != first.headers["x-trace-id"]
    receiver.wait_for(lambda got: any(s.trace_id == trace_id for s in got))
    (span,) = receiver.trace(trace_id)
    assert (span.service, span.kind, span.name) == ("crossfade-gateway", "server", "query Library")
    assert span.attributes["graphql.operation.name"] == "Library"
    assert span.attributes["crossfade.response_cache"] == "hit"
    assert span.attributes["crossfade.request_id"] == hit.headers["x-request-id"]
