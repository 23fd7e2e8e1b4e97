"""Cursor connections (Relay): ``edges``, ``pageInfo`` and ``totalCount`` with a page cap.

``Connection[T]`` (SDL ``<T>Connection``/``<T>Edge``) for plain lists; ``TimestampedConnection``
for lists whose edges also say when the item got there: a small subclass per list gives the
SDL type names and the timestamp's field name (``LikedTrackEdge.likedAt``, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Generic, Self, TypeVar

import strawberry

from resolvers.pagination import Slice, encode_cursor

T = TypeVar("T")
S = TypeVar("S")
E = TypeVar("E")


@strawberry.type(description="Where a page sits in its list, for fetching the next one.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items precede this page.")
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge; pass it as `after` for the next page."
    )


@strawberry.type(description="One item of a connection, with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item in the list.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(
    description="A page of a list. Page with `first` (at most the server's maximum page size, "
    "100 by default) and `after` (an `endCursor`)."
)
class Connection(Generic[T]):
    total_count: int = strawberry.field(description="How many items the whole list holds.")
    edges: list[Edge[T]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="How to fetch the next page.")


def page_info(s: Slice[S]) -> PageInfo:
    count = len(s.items)
    return PageInfo(
        has_next_page=s.has_next,
        has_previous_page=s.offset > 0,
        start_cursor=encode_cursor(s.offset) if count else None,
        end_cursor=encode_cursor(s.offset + count - 1) if count else None,
    )


def connection(s: Slice[S], node: Callable[[S], T]) -> Connection[T]:
    """A connection over a slice, mapping each item with ``node``."""
    return Connection(
        total_count=s.total,
        edges=[
            Edge(cursor=encode_cursor(s.offset + i), node=node(x)) for i, x in enumerate(s.items)
        ],
        page_info=page_info(s),
    )


@strawberry.type(description="One item of a connection, with its cursor and a timestamp.")
class TimestampedEdge(Generic[T]):
    """Subclass it with a concrete node type, and redeclare ``at`` with its SDL name:

    ``class LikedTrackEdge(TimestampedEdge[Track]): at: dt.datetime = strawberry.field(
    name="likedAt", description=...)`` (the field keeps its place between cursor and node).
    """

    cursor: str = strawberry.field(description="Opaque position of this item in the list.")
    at: dt.datetime = strawberry.field(description="When the item got into the list (UTC).")
    node: T = strawberry.field(description="The item.")

    @classmethod
    def build(cls, cursor: str, at_ms: int, node: T) -> Self:
        return cls(cursor=cursor, at=dt.datetime.fromtimestamp(at_ms / 1000, tz=dt.UTC), node=node)


@strawberry.type(
    description="A page of a list whose edges carry a timestamp. Page with `first` and `after`."
)
class TimestampedConnection(Generic[E]):
    """Subclass it as ``class LikedTrackConnection(TimestampedConnection[LikedTrackEdge])``."""

    total_count: int = strawberry.field(description="How many items the whole list holds.")
    edges: list[E] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="How to fetch the next page.")

    @classmethod
    def from_slice(cls, s: Slice[S], edge: Callable[[str, S], E]) -> Self:
        """A page over a slice; ``edge`` makes each edge from its cursor and item."""
        return cls(
            total_count=s.total,
            edges=[edge(encode_cursor(s.offset + i), x) for i, x in enumerate(s.items)],
            page_info=page_info(s),
        )

    @classmethod
    def count_only(cls, total: int) -> Self:
        """Just ``totalCount``, for a selection that asks for nothing else."""
        return cls(
            total_count=total,
            edges=[],
            page_info=PageInfo(
                has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
            ),
        )
