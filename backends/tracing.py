"""A backend's side of a trace: a SERVER span per request, continuing the caller's.

The gateway sends a W3C ``traceparent`` with every call; the span below is its child, so one
trace shows the operation, each call, and how long the backend spent in SQLite
(``crossfade.sql.time_ms``, summed over the request's statements and fetches by
``sql_time.py``, and ``crossfade.sql.statements``). Installed only in a backend process
started with ``CROSSFADE_OTEL_ENDPOINT`` set (:func:`build_tracer`, its own exporter).
In-process backends make no span of their own: the gateway's client span already is the
call, and carries the SQL time from the ``Server-Timing`` header.
"""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backends.sql_time import SCOPE_KEY, SqlClock

_W3C = TraceContextTextMapPropagator()
# Probes are not part of anyone's request.
_UNTRACED = frozenset({"/healthz"})


def build_tracer(name: str, endpoint: str) -> Tracer:
    """A tracer exporting in batches to ``<endpoint>/v1/traces`` as ``crossfade-<name>``.

    The provider flushes at interpreter exit (uvicorn exits normally on SIGTERM).
    """
    provider = TracerProvider(resource=Resource.create({"service.name": f"crossfade-{name}"}))
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider.get_tracer("crossfade.backends")


class ServerSpanMiddleware:
    """One SERVER span per request, named by method and route (``GET /tracks``)."""

    def __init__(self, app: ASGIApp, tracer: Tracer, service: str) -> None:
        self.app = app
        self.tracer = tracer
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _UNTRACED:
            await self.app(scope, receive, send)
            return
        carrier = {
            key.decode("latin-1"): value.decode("latin-1")
            for key, value in scope["headers"]
            if key in (b"traceparent", b"tracestate")
        }
        method = scope["method"]
        span = self.tracer.start_span(
            f"{method} {self.service}",
            context=_W3C.extract(carrier) if carrier else None,
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": scope["path"],
            },
        )
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            clock: SqlClock = scope.get(SCOPE_KEY) or SqlClock()
            route = scope.get("route")
            template = getattr(route, "path", None)
            if template:
                span.update_name(f"{method} {template}")
                span.set_attribute("http.route", template)
            span.set_attribute("http.response.status_code", status)
            span.set_attribute("crossfade.sql.time_ms", round(clock.seconds * 1000, 3))
            span.set_attribute("crossfade.sql.statements", clock.statements)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
            span.end()
