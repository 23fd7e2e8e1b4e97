"""Batch forms of per-item fields: one call for every parent of a level of the response.

A field under a list (``Playlist.owner`` on a shelf of playlists) is resolved once per item by
graphql-core's executor; the compiled executor (``gateway/execution/``) instead calls the
field's *batch form* once with all the parents met at that level::

    async def owners(parents: Sequence[Playlist], info: Info) -> list[User | None]: ...

    @strawberry.field(description=...)
    @by_level(owners)
    async def owner(self, info: Info) -> User | None:
        return one(await owners([self], info))

The batch form takes the per-item resolver's parameters, with ``parents`` in place of
``self``, and answers one value per parent, in order; an ``Exception`` in that list is that
parent's field error (a failure must stay with the parents it concerns). It answers at once
or with an awaitable in the same cases as the per-item resolver: writing the per-item
resolver as the batch form of one parent (``one``, ``one_of``) keeps the two engines alike
(DataLoaders still merge the per-item calls of graphql-core's).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

# The attribute the compiled executor reads on a field's resolver function.
BATCH_ATTRIBUTE = "__crossfade_batch__"


def by_level(batch: Callable[..., Any]) -> Callable[[F], F]:
    """Declare ``batch`` as the batch form of the decorated per-item resolver."""

    def declare(resolver: F) -> F:
        setattr(resolver, BATCH_ATTRIBUTE, batch)
        return resolver

    return declare


def batch_form(resolver: Callable[..., Any]) -> Callable[..., Any] | None:
    """The batch form declared on ``resolver`` with ``by_level``, if any."""
    found: Callable[..., Any] | None = getattr(resolver, BATCH_ATTRIBUTE, None)
    return found


def one(answers: Sequence[T | Exception]) -> T:
    """The only answer of a batch form called for one parent (raised if it is an error)."""
    (answer,) = answers
    if isinstance(answer, Exception):
        raise answer
    return answer


def one_of(
    answers: Sequence[T | Exception] | Awaitable[Sequence[T | Exception]],
) -> T | Awaitable[T]:
    """``one`` for a batch form that answers at once when it can, and later when it must:
    the per-item resolver then answers at once, or with an awaitable, in the same cases."""
    if isinstance(answers, Sequence):
        return one(answers)
    return _one_later(answers)


async def _one_later(answers: Awaitable[Sequence[T | Exception]]) -> T:
    return one(await answers)
