"""Counts executed operations per client in memory and flushes the sums to a usage store.

Per request: one cache lookup (the document's coordinates, computed once per document text and
operation name) and one dict increment keyed by (hour, client, version, operation). The
coordinates are multiplied out only at flush time, every ``CROSSFADE_USAGE_FLUSH_S`` seconds
and at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from cachetools import LRUCache
from graphql import DocumentNode, GraphQLSchema

from gateway.governance.rate_limit_middleware import client_name, client_version
from gateway.usage.coordinates import OperationUsage, operation_usage
from gateway.usage.usage_store import UsageKey, UsageSink, hour_of

log = logging.getLogger("crossfade.usage")

# Client names are free text: past max_keys counters between two flushes the rest are counted
# here. Parentheses cannot occur in a sanitised client name, so no client can pose as it.
OVERFLOW_CLIENT = "(overflow)"
# Rows kept for the next flush while the store is unreachable (~200 bytes each); past this
# they are dropped with an error in the log rather than growing the process without bound.
_MAX_PENDING_ROWS = 200_000

CounterKey = tuple[int, str, str, OperationUsage]
_UNSEEN = object()


class UsageCounter:
    def __init__(
        self, sink: UsageSink, *, flush_s: float, max_keys: int, document_cache_size: int
    ) -> None:
        self.sink = sink
        self._flush_s = flush_s
        self._max_keys = max_keys
        self._documents: LRUCache[tuple[str, str | None], OperationUsage | None] = LRUCache(
            maxsize=document_cache_size
        )
        self._counts: dict[CounterKey, int] = {}
        self._pending: dict[UsageKey, int] = {}
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def count(
        self,
        schema: GraphQLSchema,
        query: str,
        operation_name: str | None,
        document: DocumentNode,
        headers: Iterable[tuple[bytes, bytes]],
    ) -> None:
        """Count one execution of ``operation_name`` of ``document`` (``query``'s parse)."""
        key = (query, operation_name)
        usage = self._documents.get(key, _UNSEEN)
        if usage is _UNSEEN:
            usage = self._documents[key] = operation_usage(schema, document, operation_name)
        if not isinstance(usage, OperationUsage):
            return
        named = dict(headers)
        counter: CounterKey = (
            hour_of(time.time()),
            client_name(named),
            client_version(named),
            usage,
        )
        counts = self._counts
        seen = counts.get(counter)
        if seen is None:
            seen = 0
            if len(counts) >= self._max_keys:
                counter = (counter[0], OVERFLOW_CLIENT, "", usage)
                seen = counts.get(counter, 0)
        counts[counter] = seen + 1

    async def flush(self) -> None:
        """Add what was counted since the last flush to the store; on failure keep it for the
        next one."""
        async with self._lock:
            counts, self._counts = self._counts, {}
            rows, self._pending = self._pending, {}
            for (hour, client, version, usage), n in counts.items():
                for coordinate in usage.coordinates:
                    row = (hour, client, version, usage.name, coordinate)
                    rows[row] = rows.get(row, 0) + n
            if not rows:
                return
            try:
                await self.sink.add(rows)
            except Exception as exc:  # Redis or the disk away: the next flush retries
                if len(rows) <= _MAX_PENDING_ROWS:
                    self._pending = rows
                    log.warning("usage flush failed, kept for the next one: %s", exc)
                else:
                    log.error("usage flush failed, %d usage rows dropped: %s", len(rows), exc)

    def start(self) -> None:
        """Flush every ``flush_s`` seconds until :meth:`aclose` (call from the running loop)."""
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self._run(), name="usage-flush")

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self._flush_s)
                return
            except TimeoutError:
                pass
            try:
                await self.flush()
            except Exception:  # a bug here must not stop the counting
                log.exception("usage flush failed")

    async def aclose(self) -> None:
        """Stop the periodic flush (never in the middle of one) and flush what is left."""
        if self._task is not None:
            self._stop.set()
            await self._task
            self._task = None
        await self.flush()
