"""Errors listed in the order of the response they belong to.

graphql-core lists field errors as they are raised, which depends on which awaited value
arrives first: the same request could list the same errors in another order, and the two
execution engines raise them in different orders. Sorted by where their path leads in the
response (fields in document order, list items by index), the answer is the same bytes
every time, whichever engine ran it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError

# Where a path goes on past the data (a parent nulled by the error): after what is there.
_BEYOND = 1 << 30


def _position(data: Any, path: Sequence[str | int] | None) -> tuple[int, ...]:
    if path is None:
        return ()  # request-level errors first
    node = data
    position = []
    for part in path:
        if isinstance(part, int):
            position.append(part)
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
        elif isinstance(node, dict) and part in node:
            position.append(list(node).index(part))
            node = node[part]
        else:
            position.append(_BEYOND)
            node = None
    return tuple(position)


def in_response_order(errors: Sequence[GraphQLError], data: Any) -> list[GraphQLError]:
    """``errors`` sorted by their place in ``data`` (stable: ties keep their order)."""
    if len(errors) < 2:
        return list(errors)
    return sorted(errors, key=lambda error: _position(data, error.path))
