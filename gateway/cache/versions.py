"""The versions of the data a write through the gateway can change, on one logical clock.

Every bump ticks the clock and stamps the entities written with it. A cached response
remembers the clock at the moment its execution *started* and the entities it read: it is
still valid while none of them has a stamp later than that. Taking the clock before the
first read is what makes a race safe: a write that lands during the execution stamps its
entities after the start, so an answer that may predate the write is never served.

Bounded: past ``max_entities`` the stalest stamps are forgotten, and the floor rises to the
newest forgotten one; a response that started before the floor is treated as invalid.
"""

from __future__ import annotations

from collections.abc import Iterable

from resolvers.clients.footprint import Entity


class Versions:
    def __init__(self, max_entities: int) -> None:
        self.clock = 0
        self._floor = 0
        self._max = max_entities
        self._stamps: dict[Entity, int] = {}

    def bump(self, entities: Iterable[Entity]) -> None:
        self.clock += 1
        stamps = self._stamps
        for entity in entities:
            stamps.pop(entity, None)  # re-inserted last: the dict stays ordered by stamp
            stamps[entity] = self.clock
        while len(stamps) > self._max:
            oldest = next(iter(stamps))
            self._floor = max(self._floor, stamps.pop(oldest))

    def bump_all(self) -> None:
        """Invalidate every versioned response (a replica's bumps were lost)."""
        self.clock += 1
        self._floor = self.clock
        self._stamps.clear()

    def unchanged(self, entities: tuple[Entity, ...], since: int) -> bool:
        """Whether none of ``entities`` was written after clock value ``since``."""
        if since == self.clock or not entities:
            return True
        if self._floor > since:
            return False
        get = self._stamps.get
        return all(get(entity, 0) <= since for entity in entities)
