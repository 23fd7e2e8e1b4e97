"""Serving a cached value past its time when the backend that produced it is failing.

Only after the live call failed with a ``BackendError``, and only from a cache's bounded
stale copy (``CountedCache.get_stale``); the request's scope records the service so the
response says ``extensions.stale``. Client mistakes (4xx) are never papered over.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from resolvers.clients.cache import CountedCache
from resolvers.clients.errors import BackendError
from resolvers.clients.footprint import not_reusable
from resolvers.clients.scope import current_scope

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def mark_stale(service: str) -> None:
    not_reusable()  # the response cache must not keep an answer built on a stale copy
    scope = current_scope()
    if scope is not None:
        scope.stale.add(service)


async def cached_or_stale(
    cache: CountedCache[K, V], key: K, fetch: Callable[[], Awaitable[V]]
) -> V:
    """``cache[key]``, else ``fetch()`` (stored), else the stale copy if the fetch failed."""
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        value = await fetch()
    except BackendError as error:
        stale = cache.get_stale(key)
        if stale is None:
            raise
        mark_stale(error.service)
        return stale
    cache.set(key, value)
    return value
