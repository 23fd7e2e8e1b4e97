"""Batches: a POST body that is a JSON array of operations, answered by an array in the same
order (what Apollo Client's ``BatchHttpLink`` and Relay's batching network layers send).

The view (``gateway/view.py``) runs a batch in three steps:

1. :func:`parse_batch` refuses the whole request, before any operation runs, when batching is
   off (``CROSSFADE_BATCH_MAX`` = 1), the array is empty or holds something other than JSON
   objects (400 ``BAD_REQUEST``), or it holds more than ``CROSSFADE_BATCH_MAX`` operations
   (400 ``BATCH_TOO_LARGE``). Then the batch's operations beyond the first are charged to the
   request-rate buckets (the middleware charged one on arrival): all or none, 429 if they
   don't fit.
2. The operations run concurrently over the request's one ``Context`` (one deadline, one set
   of DataLoaders), each with its own response extensions, cost and cost charge.
3. Each element is what the operation would have answered alone. An element refused before
   it could run (a malformed element, an unknown or disallowed persisted query, an unknown
   ``operationName``) is a :class:`RefusedOperation`: the body its refusal would have had,
   in its place, while the batch itself answers HTTP 200.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from resolvers.clients.errors import ErrorCode

# JSON's whitespace, then an array; matched in place (a body can be a megabyte).
_ARRAY = re.compile(rb"[ \t\n\r]*\[")


class BatchRefused(Exception):
    """The whole batch is refused: none of its operations runs."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: object,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers
        self.extensions = extensions


def is_batch(body: bytes) -> bool:
    """Whether a JSON body is an array (its first byte that is not blank is ``[``).

    Peeking spares single operations, nearly every request, a second decode of their body.
    """
    return _ARRAY.match(body) is not None


def parse_batch(value: list[Any], *, max_operations: int) -> list[GraphQLRequestData]:
    """The batch's operations, unchecked beyond being objects (:func:`malformed` does the rest,
    per operation), or a :class:`BatchRefused`."""
    if max_operations <= 1:
        raise BatchRefused(
            ErrorCode.BAD_REQUEST,
            "Batching is off here: send one operation per request, as a JSON object such as "
            '{"query": "{ me { id } }"}.',
        )
    if not value:
        raise BatchRefused(ErrorCode.BAD_REQUEST, "The batch is empty: send one operation or more.")
    if len(value) > max_operations:
        raise BatchRefused(
            ErrorCode.BATCH_TOO_LARGE,
            f"The batch holds {len(value)} operations, over the limit of {max_operations}: "
            "split it.",
            limit=max_operations,
        )
    if not all(isinstance(item, dict) for item in value):
        raise BatchRefused(
            ErrorCode.BAD_REQUEST,
            "Every element of a batch is an operation, a JSON object such as "
            '{"query": "{ me { id } }"}.',
        )
    return [
        GraphQLRequestData(
            query=item.get("query"),
            variables=item.get("variables"),
            operation_name=item.get("operationName"),
            extensions=item.get("extensions"),
        )
        for item in value
    ]


def malformed(data: GraphQLRequestData) -> str | None:
    """Why an operation's members have the wrong JSON types, in the words Strawberry answers a
    lone request with, or None."""
    members: tuple[tuple[str, object, type], ...] = (
        ("query", data.query, str),
        ("variables", data.variables, dict),
        ("extensions", data.extensions, dict),
    )
    for name, value, expected in members:
        if value is not None and not isinstance(value, expected):
            kind = "a string" if expected is str else "an object"
            return f"The GraphQL operation's `{name}` must be {kind} or null, if provided."
    return None


@dataclass
class RefusedOperation(ExecutionResult):
    """A batch element refused before it ran; the view answers ``body`` in its place."""

    body: dict[str, Any] = field(default_factory=dict)
