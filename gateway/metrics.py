"""Request-level Prometheus metrics and the ``/metrics`` endpoint."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

OPERATION_LATENCY = Histogram(
    "crossfade_graphql_request_seconds",
    "GraphQL operation latency by operation name.",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
OPERATION_ERRORS = Counter("crossfade_graphql_errors_total", "GraphQL errors by code.", ["code"])
RATE_LIMIT_REFUSALS = Counter(
    "crossfade_rate_limit_refusals_total",
    "Requests refused with 429 by a rate limit, by what ran out: requests or query cost.",
    ["limit"],
)
# Exported from the start (at 0), so a dashboard's rate() has a series before the first 429.
for _limit in ("requests", "cost"):
    RATE_LIMIT_REFUSALS.labels(limit=_limit)
# Unbounded operation names would explode the label set: unknown names are folded.
_MAX_NAME = 64


def operation_label(name: str | None) -> str:
    """The operation's name as a label (or span name): few and bounded values."""
    name = name or "anonymous"
    if len(name) > _MAX_NAME or not name.replace("_", "").isalnum():
        return "invalid"
    return name


class OperationMetrics(SchemaExtension):
    """Times each operation once (never per field: per-field hooks cost 3x on lists)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        name = operation_label(self.execution_context.operation_name)
        OPERATION_LATENCY.labels(operation=name).observe(time.perf_counter() - started)


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
