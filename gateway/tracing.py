"""OpenTelemetry traces, on only when ``CROSSFADE_OTEL_ENDPOINT`` is set.

``create_app`` imports this module only then, so a gateway without an endpoint never loads
OpenTelemetry, let alone calls it. With one, spans are batched (``BatchSpanProcessor``, its
own thread) to the collector's OTLP/HTTP ``<endpoint>/v1/traces``:

- one SERVER span per operation, ``"query HomeFeed"`` / ``"mutation RecordPlay"`` (type and
  name, so the names stay few), child of the caller's W3C ``traceparent`` when it sent one;
- under it, a CLIENT span per backend call attempt, and a span per cache lookup and per
  ranking call (``resolvers/clients/spans.py``); never a span per field;
- backend processes continue the trace from the ``traceparent`` each call carries
  (``backends/tracing.py``: a SERVER span with the request's SQL time); every backend,
  in-process ones included, answers its SQL time in ``Server-Timing``, which the client
  span keeps as ``crossfade.sql.time_ms``.

The trace ID goes back in ``x-trace-id`` and in each error's ``extensions.traceId``. An answer
the response cache serves runs no operation: it gets one span of its own
(:meth:`Tracing.cache_hit`), so it answers ``x-trace-id`` too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import (
    Span,
    SpanKind,
    Status,
    StatusCode,
    Tracer,
    format_trace_id,
    get_current_span,
    use_span,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from gateway.config import Settings
from gateway.metrics import operation_label
from gateway.request_state import request_state
from resolvers.clients.leaf_span import LeafSpanRecorder
from resolvers.clients.spans import Spans

TRACE_HEADER = b"x-trace-id"
_SCOPE = InstrumentationScope("crossfade.gateway")
_W3C = TraceContextTextMapPropagator()


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces path under a collector's base URL."""
    return endpoint.rstrip("/") + "/v1/traces"


@dataclass(frozen=True, slots=True)
class Tracing:
    provider: TracerProvider
    tracer: Tracer
    spans: Spans

    def middleware(self) -> Middleware:
        return Middleware(TraceContextMiddleware)

    def extension(self) -> SchemaExtension:
        return OperationSpan(self.tracer)

    @contextmanager
    def cache_hit(self, scope: Scope, operation_name: str | None) -> Iterator[None]:
        """The span of an answer the response cache serves: named as the execution's would
        be, with ``crossfade.response_cache=hit``, and nothing under it (nothing ran)."""
        span = self.tracer.start_span(
            f"query {operation_label(operation_name)}" if operation_name else "query",
            kind=SpanKind.SERVER,
        )
        if span.is_recording():
            state = request_state(scope)
            state.trace_id = format_trace_id(span.get_span_context().trace_id)
            span.set_attribute("graphql.operation.type", "query")
            if operation_name:
                span.set_attribute("graphql.operation.name", operation_label(operation_name))
            span.set_attribute("crossfade.response_cache", "hit")
            span.set_attribute("crossfade.request_id", state.request_id)
        try:
            yield
        finally:
            span.end()

    def shutdown(self) -> None:
        """Exports what is still queued, then stops the exporter's thread."""
        self.provider.shutdown()


class _FixedResource(Resource):
    """A resource whose hash is computed once.

    The OTLP encoder groups every exported span by resource, hashing it per span, and
    ``Resource.__hash__`` JSON-encodes all its attributes each time: about a tenth of a
    span's CPU, for a value that never changes in a process.
    """

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource.attributes, resource.schema_url)
        self._hash = super().__hash__()

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return other is self or super().__eq__(other)


def build_tracing(settings: Settings) -> Tracing:
    assert settings.otel_endpoint, "tracing is only built when CROSSFADE_OTEL_ENDPOINT is set"
    provider = TracerProvider(
        resource=_FixedResource(Resource.create({"service.name": settings.otel_service_name})),
        # The caller's sampled flag wins; new traces are kept at the configured ratio.
        sampler=ParentBased(TraceIdRatioBased(settings.otel_sample_ratio)),
    )
    processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(settings.otel_endpoint)))
    provider.add_span_processor(processor)
    tracer = provider.get_tracer(_SCOPE.name)
    leaves = (
        LeafSpanRecorder(provider, tracer, _SCOPE, processor.on_end)
        if settings.otel_lean_spans
        else None
    )
    return Tracing(provider, tracer, Spans(tracer, leaves))


class TraceContextMiddleware:
    """Continues the caller's trace (W3C ``traceparent``) and answers ``x-trace-id``.

    The operation's span starts later, in :class:`OperationSpan`, under the caller's context
    attached here; refusals before it (rate limits, bad bodies) still echo the caller's trace.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = request_state(scope)
        carrier = {
            key.decode("latin-1"): value.decode("latin-1")
            for key, value in scope["headers"]
            if key in (b"traceparent", b"tracestate")
        }
        token = None
        if carrier:
            incoming = _W3C.extract(carrier)
            parent = get_current_span(incoming).get_span_context()
            if parent.is_valid:
                state.trace_id = format_trace_id(parent.trace_id)
                token = otel_context.attach(incoming)

        async def send_with_trace(message: Message) -> None:
            if message["type"] == "http.response.start" and state.trace_id:
                message.setdefault("headers", []).append(
                    (TRACE_HEADER, state.trace_id.encode("latin-1"))
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_trace)
        finally:
            if token is not None:
                otel_context.detach(token)


class OperationSpan(SchemaExtension):
    """One span per operation, the parent of every backend, cache and ranking span in it."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    def on_operation(self) -> Iterator[None]:
        span = self._tracer.start_span("graphql", kind=SpanKind.SERVER)
        context = self.execution_context.context
        request = getattr(context, "request", None)
        if request is not None and span.is_recording():
            # An unsampled trace is recorded nowhere: its ID would lead to nothing.
            state = request_state(request.scope)
            state.trace_id = format_trace_id(span.get_span_context().trace_id)
            span.set_attribute("crossfade.request_id", state.request_id)
        with use_span(span, end_on_exit=True):
            yield
            if span.is_recording():
                self._describe(span)

    def _describe(self, span: Span) -> None:
        execution = self.execution_context
        name = execution.operation_name
        try:
            kind = execution.operation_type.value
        except Exception:  # unparsable, or no operation of that name: nothing ran
            kind = "graphql"
        span.update_name(f"{kind} {operation_label(name)}" if name else kind)
        span.set_attribute("graphql.operation.type", kind)
        if name:
            span.set_attribute("graphql.operation.name", operation_label(name))
        result = execution.result
        errors = getattr(result, "errors", None) or execution.pre_execution_errors
        if errors:
            span.set_attribute("crossfade.graphql.errors", len(errors))
            span.set_status(Status(StatusCode.ERROR, errors[0].message))
