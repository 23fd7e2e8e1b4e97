"""Cross-request caches of values (never of futures), with hit and miss counters.

A DataLoader caches for one request; these caches hold what many requests share: catalog
entities, search results, editorial lists, and per-viewer results keyed by the viewer.

A cache may also keep a second, longer-lived *stale* copy of what it stored (bounded too),
read only when the backend that produced the value fails: an hour-old chart beats an error.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from resolvers.clients.telemetry import CACHE_HITS, CACHE_MISSES

if TYPE_CHECKING:
    from resolvers.clients.spans import Spans

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class CacheConfig:
    """Sizes (entries) and lifetimes (seconds) of the client layer's caches, from settings."""

    entity_size: int
    entity_ttl: float
    shared_size: int
    shared_ttl: float
    viewer_size: int
    viewer_ttl: float
    # The stale copies served while a backend is down (entity and shared caches only).
    stale_size: int
    stale_ttl: float


class TTLMap(Generic[K, V]):
    """A bounded map whose entries expire ``ttl`` seconds after they were stored; when full,
    the least recently read entry goes first.

    What cachetools' ``TTLCache`` does, at a fraction of its cost per read (a Home reads
    several hundred entity entries): one ``OrderedDict`` lookup and a C-level reorder.
    """

    def __init__(self, maxsize: int, ttl: float) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self._items: OrderedDict[K, tuple[V, float]] = OrderedDict()

    def get(self, key: K, default: V | None = None) -> V | None:
        item = self._items.get(key)
        if item is None:
            return default
        if item[1] <= time.monotonic():
            del self._items[key]
            return default
        self._items.move_to_end(key)
        return item[0]

    def __setitem__(self, key: K, value: V) -> None:
        items = self._items
        items[key] = (value, time.monotonic() + self.ttl)
        items.move_to_end(key)
        while len(items) > self.maxsize:
            items.popitem(last=False)

    def pop(self, key: K, default: V | None = None) -> V | None:
        item = self._items.pop(key, None)
        return default if item is None else item[0]

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class CountedCache(Generic[K, V]):
    """A bounded TTL + LRU cache that counts its hits and misses under ``name``."""

    def __init__(
        self,
        name: str,
        *,
        maxsize: int,
        ttl: float,
        stale_size: int = 0,
        stale_ttl: float = 0.0,
        spans: Spans | None = None,
    ) -> None:
        self.name = name
        self.enabled = maxsize > 0 and ttl > 0
        self._data: TTLMap[K, V] = TTLMap(maxsize=max(maxsize, 1), ttl=max(ttl, 0.001))
        self._stale: TTLMap[K, V] | None = (
            TTLMap(maxsize=stale_size, ttl=stale_ttl)
            if self.enabled and stale_size > 0 and stale_ttl > 0
            else None
        )
        self._hits = CACHE_HITS.labels(cache=name)
        self._misses = CACHE_MISSES.labels(cache=name)
        # None: tracing is off. Otherwise a span per lookup call (one per batch in get_many).
        self._spans = spans

    def get(self, key: K) -> V | None:
        if self._spans is None or not self.enabled:
            return self._lookup(key)
        span = self._spans.cache_lookup(self.name)
        value = self._lookup(key)
        span.set_attribute("crossfade.cache.hit", value is not None)
        span.end()
        return value

    def _lookup(self, key: K) -> V | None:
        if not self.enabled:
            return None
        value = self._data.get(key)
        if value is None:
            self._misses.inc()
            return None
        self._hits.inc()
        return value

    def get_many(self, keys: Iterable[K]) -> tuple[dict[K, V], list[K]]:
        """Split ``keys`` into what the cache holds and what must be fetched (in order)."""
        found: dict[K, V] = {}
        missing: list[K] = []
        if not self.enabled:
            return found, list(keys)
        data = self._data
        for key in keys:
            value = data.get(key)
            if value is None:
                missing.append(key)
            else:
                found[key] = value
        self.count(len(found), len(missing))
        return found, missing

    def peek(self, key: K) -> V | None:
        """Like :meth:`get` but uncounted: for lookups counted in bulk with :meth:`count`."""
        if not self.enabled:
            return None
        return self._data.get(key)

    def count(self, hits: int, misses: int, *, traced: bool = True) -> None:
        """Count one bulk lookup (a span of its own when tracing, not one per key; with
        ``traced`` off the caller makes one span for several caches it looked up at once)."""
        if hits:
            self._hits.inc(hits)
        if misses:
            self._misses.inc(misses)
        if traced and self._spans is not None:
            span = self._spans.cache_lookup(self.name)
            span.set_attribute("crossfade.cache.keys", hits + misses)
            span.set_attribute("crossfade.cache.hits", hits)
            span.end()

    @property
    def spans(self) -> Spans | None:
        return self._spans

    def get_stale(self, key: K) -> V | None:
        """The last value stored under ``key`` even if expired; only for when a fetch failed."""
        if self._stale is None:
            return None
        return self._stale.get(key)

    def set(self, key: K, value: V) -> None:
        if self.enabled:
            self._data[key] = value
            if self._stale is not None:
                self._stale[key] = value

    def delete(self, key: K) -> None:
        self._data.pop(key, None)
        if self._stale is not None:
            self._stale.pop(key, None)

    def clear(self) -> None:
        self._data.clear()
        if self._stale is not None:
            self._stale.clear()

    def __len__(self) -> int:
        return len(self._data)
