"""Where automatic persisted queries live: hash → query text.

Documents are immutable under their hash, so any copy is correct; the Redis store keeps a
small local LRU in front of Redis and only asks Redis for hashes this replica has not seen.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from cachetools import LRUCache

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("crossfade.apq")


class DocumentStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, query: str) -> None: ...


class MemoryDocumentStore:
    """In-process, bounded: the least recently used documents go first."""

    def __init__(self, max_documents: int) -> None:
        self._documents: LRUCache[str, str] = LRUCache(maxsize=max_documents)

    async def get(self, sha256: str) -> str | None:
        return self._documents.get(sha256)

    async def put(self, sha256: str, query: str) -> None:
        self._documents[sha256] = query


class RedisDocumentStore:
    """Shared by every replica; entries expire after ``ttl_s`` unless used again.

    A Redis outage degrades to "not found", which Apollo clients answer by sending the full
    query again: slower, never wrong.
    """

    def __init__(self, redis: Redis, prefix: str, *, ttl_s: int, local_size: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_s = ttl_s
        self._local = MemoryDocumentStore(local_size)

    async def get(self, sha256: str) -> str | None:
        local = await self._local.get(sha256)
        if local is not None:
            return local
        try:
            # GETEX refreshes the TTL: documents in use never expire.
            raw = await self._redis.getex(self._prefix + sha256, ex=self._ttl_s)
        except Exception as exc:  # redis.RedisError, OSError, timeouts
            log.warning("APQ store unavailable: %s", exc)
            return None
        if raw is None:
            return None
        query = raw.decode() if isinstance(raw, bytes) else str(raw)
        await self._local.put(sha256, query)
        return query

    async def put(self, sha256: str, query: str) -> None:
        await self._local.put(sha256, query)
        try:
            await self._redis.set(self._prefix + sha256, query.encode(), ex=self._ttl_s)
        except Exception as exc:
            log.warning("APQ store unavailable, kept locally only: %s", exc)
