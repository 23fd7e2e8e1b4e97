"""The encoded responses, in process, bounded by bytes (least recently used go first).

An entry is served only while all of these hold:

- its max-age (shortened by what the answer itself said, e.g. a greeting's hour) has not
  passed;
- none of the versioned entities it read was written since its execution started;
- if it depends on invalidation from other replicas (a listener's private answer, or any
  answer that read versioned data), the replica has been subscribed to their bumps without
  a break since the entry was made.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol

from gateway.cache.documents import EVICTION, Operation
from gateway.cache.versions import Versions
from resolvers.clients.footprint import Entity

# What an entry costs beyond its body: the key, the headers, the bookkeeping.
_OVERHEAD = 400


class Link(Protocol):
    """The replica's subscription to the other replicas' bumps."""

    @property
    def live(self) -> bool:
        """Subscribed now: bumps from other replicas arrive."""
        ...

    @property
    def epoch(self) -> int:
        """Changes whenever the subscription is lost or made again."""
        ...


class Entry:
    __slots__ = (
        "body",
        "clock",
        "deps",
        "epoch",
        "expires_at",
        "headers",
        "operation",
        "size",
        "stored_at",
    )

    def __init__(
        self,
        *,
        body: bytes,
        headers: list[tuple[bytes, bytes]],
        stored_at: float,
        expires_at: float,
        deps: tuple[Entity, ...],
        clock: int,
        epoch: int | None,
        operation: Operation,
    ) -> None:
        self.body = body
        self.headers = headers  # without Age, which each hit adds
        self.stored_at = stored_at
        self.expires_at = expires_at
        self.deps = deps
        self.clock = clock
        self.epoch = epoch  # None: needs no subscription (public, no versioned reads)
        self.operation = operation
        self.size = len(body) + len(deps) * 64 + _OVERHEAD


class ResponseStore:
    def __init__(
        self,
        *,
        max_bytes: int,
        max_entry_bytes: int,
        versions: Versions,
        link: Link,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.versions = versions
        self.link = link
        self.clock = clock
        self.bytes = 0
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if (
            self.clock() >= entry.expires_at
            or not self.versions.unchanged(entry.deps, entry.clock)
            or (entry.epoch is not None and not (self.link.live and entry.epoch == self.link.epoch))
        ):
            self._remove(key, entry)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: Hashable, entry: Entry) -> bool:
        if entry.size > min(self.max_entry_bytes, self.max_bytes):
            return False
        previous = self._entries.pop(key, None)
        if previous is not None:
            self.bytes -= previous.size
        self._entries[key] = entry
        self.bytes += entry.size
        while self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size
            evicted.operation.counts[EVICTION] += 1
        return True

    def drop_dependent(self) -> None:
        """Forget every entry that needs the subscription (it was lost)."""
        for key, entry in list(self._entries.items()):
            if entry.epoch is not None:
                self._remove(key, entry)
                entry.operation.counts[EVICTION] += 1

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def _remove(self, key: Hashable, entry: Entry) -> None:
        del self._entries[key]
        self.bytes -= entry.size
