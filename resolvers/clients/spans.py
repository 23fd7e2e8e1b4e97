"""The client layer's OpenTelemetry spans: backend calls, cache lookups and ranking calls.

Imported only when tracing is on: the clients hold a :class:`Spans` or ``None``, and with
``None`` they never touch OpenTelemetry (nor import it). Spans are started without becoming
the current span: none of them has children, so the operation's span stays the parent of
every call the request makes, including the DataLoaders' batch tasks.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from contextlib import suppress
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.span import Span

from resolvers.clients.errors import CrossfadeError
from resolvers.clients.leaf_span import LeafSpanRecorder

# Starts a span: name, kind, attributes.
StartSpan = Callable[..., Span]


class Spans:
    """Starts the client layer's spans: leaf spans (``leaf_span.py``) when given a recorder,
    else through ``tracer`` like any span."""

    def __init__(self, tracer: Tracer, leaves: LeafSpanRecorder | None = None) -> None:
        self.tracer = tracer
        self.start: StartSpan = leaves.start if leaves is not None else self._through_tracer

    def _through_tracer(
        self, name: str, kind: SpanKind = SpanKind.INTERNAL, attributes: Any = None
    ) -> Span:
        return self.tracer.start_span(name, kind=kind, attributes=attributes)

    def backend_call(self, backend: str, method: str, path: str) -> Span:
        """One attempt of a call to ``backend`` (named by method and backend: few names)."""
        return self.start(
            f"{method} {backend}",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": method,
                "url.path": path,
                "peer.service": backend,
            },
        )

    def inject(self, span: Span, headers: MutableMapping[str, str]) -> None:
        """W3C ``traceparent`` naming ``span``, so the backend continues the trace under it.

        Written directly (trace-context version 00): the propagator API would build a
        context object per call to say the same.
        """
        ctx = span.get_span_context()
        headers["traceparent"] = f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"
        if ctx.trace_state:
            headers["tracestate"] = ctx.trace_state.to_header()

    @staticmethod
    def answered(span: Span, status: int, server_timing: str | None) -> None:
        """The status and, from ``Server-Timing: sql;dur=<ms>``, the backend's SQL time."""
        span.set_attribute("http.response.status_code", status)
        if server_timing is not None and server_timing.startswith("sql;dur="):
            with suppress(ValueError):  # not ours to fail a call over
                span.set_attribute("crossfade.sql.time_ms", float(server_timing[8:]))

    @staticmethod
    def failed(span: Span, error: BaseException) -> None:
        failed(span, error)

    def cache_lookup(self, cache: str) -> Span:
        return self.start(f"cache {cache}")

    def calls(self, target: Any, prefix: str) -> Any:
        """``target`` with each public method call wrapped in a span ``"<prefix> <method>"``."""
        return SpannedCalls(target, prefix, self.start)


def failed(span: Span, error: BaseException) -> None:
    """Marks ``span`` failed with the error's API code when it has one."""
    code = error.code.value if isinstance(error, CrossfadeError) else type(error).__name__
    span.set_attribute("error.type", code)
    span.set_status(Status(StatusCode.ERROR, str(error)))


class SpannedCalls:
    """A proxy timing every public method call of its target in a span of its own."""

    def __init__(self, target: Any, prefix: str, start: StartSpan) -> None:
        self._target = target
        self._prefix = prefix
        self._start = start
        self._wrapped: dict[str, Callable[..., Any]] = {}

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name.startswith("_") or not callable(value):
            return value
        wrapped = self._wrapped.get(name)
        if wrapped is None:
            wrapped = self._wrapped[name] = self._wrap(name)
        return wrapped

    def _wrap(self, name: str) -> Callable[..., Any]:
        method = getattr(self._target, name)
        span_name = f"{self._prefix} {name}"
        start = self._start

        def call(*args: Any, **kwargs: Any) -> Any:
            span = start(span_name)
            try:
                return method(*args, **kwargs)
            except BaseException as error:
                failed(span, error)
                raise
            finally:
                span.end()

        return call
