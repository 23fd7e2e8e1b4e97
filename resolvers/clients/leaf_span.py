"""A leaf span recorded straight into the export pipeline, past the SDK's span bookkeeping.

The client layer's spans (backend calls, cache lookups, ranking calls) never have children,
never become the current span and are only touched by the code that started them. The SDK's
``Tracer.start_span`` still gives each a sampler decision, a lock, bounded lists for events
and links and attribute validation: about 30 µs per span before any attribute on this
machine, most of a HomeFeed's tracing cost (``bench/tracing_overhead.py``). A
:class:`LeafSpan` keeps what the exporter reads (name, kind, IDs, parent, attributes, status,
times) and, when ended, hands the SDK's own :class:`ReadableSpan` to the same span processor
the tracer feeds. What reaches the collector is the same (``tests/tracing/test_leaf_spans.py``
decodes both ways' exports and compares them); ``CROSSFADE_OTEL_LEAN_SPANS=false`` sends every
span through the tracer instead.

The sampling decision is the parent's, as ``ParentBased`` makes it: a leaf of a sampled
operation is recorded; in an unsampled one, the operation's non-recording span stands in for
it (nothing to record, and its unsampled context is what a backend call passes on); a span
started outside any operation goes through the tracer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from time import time_ns
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import (
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    Tracer,
    get_current_span,
)
from opentelemetry.trace.span import Span

# What the OTLP exporter can carry: anything else the SDK would drop (with a warning).
_ATTRIBUTE_TYPES = (str, bool, int, float)
_UNSET = Status(StatusCode.UNSET)


class LeafSpanRecorder:
    """Starts leaf spans under the current (operation's) span, on one tracer's pipeline."""

    def __init__(
        self,
        provider: TracerProvider,
        tracer: Tracer,
        scope: InstrumentationScope,
        export: Callable[[ReadableSpan], None],
    ) -> None:
        self.provider = provider  # its span IDs and resource (which a fork may update)
        self.tracer = tracer  # ``scope``'s, for a span with no operation around it
        self.scope = scope
        self.export = export

    def start(
        self,
        name: str,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: Mapping[str, Any] | None = None,
    ) -> Span:
        current = get_current_span()
        parent = current.get_span_context()
        sampled = parent.trace_flags.sampled
        if not parent.is_valid or (current.is_recording() and not sampled):
            # No operation around it, or one recorded but not sampled (a sampler's
            # RECORD_ONLY, which ours never decides): the tracer's rules apply.
            return self.tracer.start_span(name, kind=kind, attributes=attributes)
        if not sampled:
            # Nothing is recorded in this trace: the operation's own non-recording span
            # stands in (its context, unsampled, is what a backend call passes on).
            return current
        context = SpanContext(
            parent.trace_id,
            self.provider.id_generator.generate_span_id(),
            is_remote=False,
            trace_flags=parent.trace_flags,
            trace_state=parent.trace_state,
        )
        return LeafSpan(self, name, kind, context, parent, attributes)


class LeafSpan(Span):
    """The part of the span API the client layer uses; ended once, then inert."""

    __slots__ = (
        "_attributes",
        "_context",
        "_ended",
        "_kind",
        "_name",
        "_parent",
        "_recorder",
        "_start",
        "_status",
    )  # fmt: skip

    def __init__(
        self,
        recorder: LeafSpanRecorder,
        name: str,
        kind: SpanKind,
        context: SpanContext,
        parent: SpanContext,
        attributes: Mapping[str, Any] | None,
    ) -> None:
        self._recorder = recorder
        self._name = name
        self._kind = kind
        self._context = context
        self._parent = parent
        self._attributes: dict[str, Any] = (
            {k: v for k, v in attributes.items() if isinstance(v, _ATTRIBUTE_TYPES)}
            if attributes
            else {}
        )
        self._status = _UNSET
        self._ended = False
        self._start = time_ns()

    def get_span_context(self) -> SpanContext:
        return self._context

    def is_recording(self) -> bool:
        return not self._ended

    def set_attribute(self, key: str, value: Any) -> None:
        if not self._ended and isinstance(value, _ATTRIBUTE_TYPES):
            self._attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self._ended:
            return
        if isinstance(status, StatusCode):
            status = Status(status, description)
        # As the SDK does: an OK status is final; UNSET never overrides.
        if self._status.status_code is StatusCode.OK or status.status_code is StatusCode.UNSET:
            return
        self._status = status

    def update_name(self, name: str) -> None:
        if not self._ended:
            self._name = name

    def add_event(self, name: str, attributes: Any = None, timestamp: int | None = None) -> None:
        pass  # leaf spans carry no events (the client layer records none)

    def add_link(self, context: SpanContext, attributes: Any = None) -> None:
        pass

    def record_exception(self, exception: BaseException, *args: Any, **kwargs: Any) -> None:
        pass

    def end(self, end_time: int | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        recorder = self._recorder
        recorder.export(
            ReadableSpan(
                self._name,
                context=self._context,
                parent=self._parent,
                resource=recorder.provider.resource,
                attributes=self._attributes,
                kind=self._kind,
                status=self._status,
                start_time=self._start,
                end_time=end_time if end_time is not None else time_ns(),
                instrumentation_scope=recorder.scope,
            )
        )
