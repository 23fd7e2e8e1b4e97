"""``FieldUsage``: the schema extension that hands each executed operation to the counter."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from gateway.usage.usage_counter import UsageCounter


class FieldUsage(SchemaExtension):
    """Counts once per operation, at the start of execution: after parsing and validation
    (an invalid document is never executed, so never counted) and after the cost limiter,
    whose refusal sets the result and skips execution. No per-field hook."""

    def __init__(self, counter: UsageCounter) -> None:
        self._counter = counter

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.result is None and document is not None and context.query is not None:
            request = getattr(context.context, "request", None)
            self._counter.count(
                context.schema._schema,
                context.query,
                context.operation_name,
                document,
                request.scope["headers"] if request is not None else (),
            )
        yield
