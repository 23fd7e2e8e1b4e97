"""Cursor pagination shared by every connection: opaque offset cursors, a hard page cap."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from resolvers.clients.errors import BadUserInput

if TYPE_CHECKING:
    from resolvers.context import Context

T = TypeVar("T")

_PREFIX = "cursor:"


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"{_PREFIX}{offset}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise BadUserInput(f"{cursor!r} is not a valid cursor.") from None
    if not raw.startswith(_PREFIX) or not raw[len(_PREFIX) :].isdigit():
        raise BadUserInput(f"{cursor!r} is not a valid cursor.")
    return int(raw[len(_PREFIX) :])


@dataclass(frozen=True, slots=True)
class Window:
    """The slice a ``first``/``after`` pair asks for."""

    offset: int
    limit: int


def window(first: int | None, after: str | None, *, default: int, maximum: int) -> Window:
    if first is None:
        first = min(default, maximum)
    if first < 0:
        raise BadUserInput("`first` must not be negative.")
    if first > maximum:
        raise BadUserInput(f"`first` must be at most {maximum}.", maximum=maximum)
    offset = 0 if after is None else decode_cursor(after) + 1
    return Window(offset=offset, limit=first)


def page_window(
    ctx: Context, first: int | None, after: str | None, *, default: int | None = None
) -> Window:
    """The window a connection's ``first``/``after`` ask for, capped at the server's maximum
    page size; ``default`` (the maximum when omitted) when ``first`` is not given."""
    maximum = ctx.services.limits.max_page_size
    return window(first, after, default=maximum if default is None else default, maximum=maximum)


@dataclass(frozen=True, slots=True)
class Slice(Generic[T]):
    """One page of items, with what a connection needs to describe it."""

    items: Sequence[T]
    offset: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total


def slice_list(items: Sequence[T], w: Window) -> Slice[T]:
    return Slice(items=items[w.offset : w.offset + w.limit], offset=w.offset, total=len(items))
