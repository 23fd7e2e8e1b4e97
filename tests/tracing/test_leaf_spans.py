"""Leaf spans recorded past the SDK's Tracer (``resolvers/clients/leaf_span.py``) must reach
the collector exactly as the Tracer's would. The same requests go to a lean gateway and to a
reference one (``CROSSFADE_OTEL_LEAN_SPANS=false``), each exporting to its own real OTLP/HTTP
receiver; the exports are decoded and compared span by span, protobuf field by field, with
only what differs by design set aside: IDs, times, request IDs and measured SQL times."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from resolvers.global_id import to_global_id
from tests.support.loopback import free_port
from tests.support.otlp_receiver import Receiver, otlp_receiver
from tests.support.stakeholders import stakeholder_queries
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

_VARYING = {"crossfade.sql.time_ms", "crossfade.request_id"}
_SECONDS = re.compile(r"\d+(\.\d+)? ?s\b")


@asynccontextmanager
async def gateway(
    data_dir: Path, receiver: Receiver, *, lean: bool, closed_port: int
) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.app import create_app
    from gateway.config import Settings

    app = create_app(
        Settings(
            data_dir=data_dir,
            otel_endpoint=receiver.endpoint,
            otel_lean_spans=lean,
            rate_limit=False,
            response_cache=False,
            # Nothing listens there: Search's calls fail, and their spans say so.
            search_url=f"http://127.0.0.1:{closed_port}",
        )
    )
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
            ) as client,
        ):
            yield client
    finally:
        app.state.tracing.shutdown()  # exports what is queued


def comparable(bodies: list[bytes]) -> Counter[tuple[bytes, bytes, str, bytes]]:
    """Every exported span as (resource, scope, parent's name, the span without its IDs,
    times and per-run attributes), counted."""
    requests = []
    for body in bodies:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        requests.append(request)
    names = {
        span.span_id: span.name
        for request in requests
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    }
    found: Counter[tuple[bytes, bytes, str, bytes]] = Counter()
    for request in requests:
        for resource_spans in request.resource_spans:
            resource = resource_spans.resource.SerializeToString(deterministic=True)
            for scope_spans in resource_spans.scope_spans:
                scope = scope_spans.scope.SerializeToString(deterministic=True)
                scope += scope_spans.schema_url.encode()
                for span in scope_spans.spans:
                    parent = names.get(span.parent_span_id, "(none)")
                    found[(resource, scope, parent, _without_ids(span))] += 1
    return found


def _without_ids(span: SpanProto) -> bytes:
    copy = SpanProto()
    copy.CopyFrom(span)
    for field in ("trace_id", "span_id", "parent_span_id"):
        copy.ClearField(field)
    copy.ClearField("start_time_unix_nano")
    copy.ClearField("end_time_unix_nano")
    copy.status.message = _timeless(copy.status.message)
    kept = [a for a in copy.attributes if a.key not in _VARYING]
    varying = sorted(a.key for a in copy.attributes if a.key in _VARYING)
    del copy.attributes[:]
    copy.attributes.extend(kept)
    encoded: bytes = copy.SerializeToString(deterministic=True)
    return encoded + repr(varying).encode()


def requests(data_dir: Path) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """Each stakeholder query as two listeners and a guest, twice (the second time from
    warm caches), and a query whose backend call answers not found."""
    missing = {"query": "query { node(id: $id) { id } }".replace("$id", '"%s"')}
    missing["query"] = missing["query"] % to_global_id("Track", 10**9)
    asked: list[tuple[dict[str, Any], dict[str, str]]] = []
    for _ in range(2):
        for headers in (bearer("user-1"), bearer("user-2"), {}):
            asked += [(body, headers) for body in stakeholder_queries(data_dir)]
            asked.append((missing, headers))
    return asked


async def test_leaf_spans_reach_the_collector_as_the_tracers_would(data_dir: Path) -> None:
    closed = free_port()
    with otlp_receiver() as lean_rx, otlp_receiver() as reference_rx:
        async with AsyncExitStack() as stack:
            lean = await stack.enter_async_context(
                gateway(data_dir, lean_rx, lean=True, closed_port=closed)
            )
            reference = await stack.enter_async_context(
                gateway(data_dir, reference_rx, lean=False, closed_port=closed)
            )
            for body, headers in requests(data_dir):
                answers = [
                    await client.post("/graphql", json=body, headers=headers)
                    for client in (lean, reference)
                ]
                assert answers[0].status_code == answers[1].status_code
                assert _stable(answers[0].json()) == _stable(answers[1].json())
        lean_spans, reference_spans = comparable(lean_rx.bodies), comparable(reference_rx.bodies)
    kinds = Counter(span.kind for span in lean_rx.spans)
    # then both exported the same spans, of every kind the client layer makes
    assert lean_spans == reference_spans
    assert kinds["client"] and kinds["internal"] and kinds["server"]
    assert any(s.name.startswith("ranking ") for s in lean_rx.spans)
    assert any(s.error and s.attributes.get("error.type") for s in lean_rx.spans)


def _stable(answer: Any) -> Any:
    """An answer without what names the request (its ID and trace, in error messages)."""
    if isinstance(answer, dict):
        return {
            k: _stable(v) if k != "message" else _timeless(v)
            for k, v in answer.items()
            if k not in ("requestId", "traceId")
        }
    if isinstance(answer, list):
        return [_stable(v) for v in answer]
    return answer


def _timeless(message: str) -> str:
    """A message without its request ID or the seconds until an open circuit closes."""
    return _SECONDS.sub("N s", message.split("(request ")[0])
