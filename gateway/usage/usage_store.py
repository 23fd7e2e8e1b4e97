"""What the usage stores hold: counts per hour, client, client version, operation and schema
coordinate; the gateway adds to them, ``crossfade usage`` and ``crossfade schema check`` read
sums over a window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

HOUR_S = 3600

# (hour start in epoch seconds, client, client version, operation name, coordinate)
UsageKey = tuple[int, str, str, str, str]


def hour_of(epoch_s: float) -> int:
    """The start of the UTC hour holding ``epoch_s``, in epoch seconds."""
    return int(epoch_s) // HOUR_S * HOUR_S


def hour_label(hour: int) -> str:
    """``2026-11-30 14:00``: an hour bucket as the reports print it (UTC)."""
    return dt.datetime.fromtimestamp(hour, dt.UTC).strftime("%Y-%m-%d %H:00")


@dataclass(frozen=True, slots=True)
class UsageTotal:
    """One client's use of one coordinate in one operation, summed over a window."""

    client: str
    version: str  # "" when the client sent none
    operation: str  # "" for anonymous operations
    coordinate: str
    count: int
    last_hour: int  # the latest hour bucket it was used in


@dataclass(slots=True)
class UsageWindow:
    """A store's totals since ``since_hour``; ``source`` says which store, for the reports."""

    since_hour: int
    source: str
    exists: bool = True  # False: nothing was ever recorded there
    totals: list[UsageTotal] = field(default_factory=list)


class UsageSink(Protocol):
    """Where the gateway flushes its counts; ``add`` adds to what is there (replicas add up)."""

    async def add(self, rows: dict[UsageKey, int]) -> None: ...


class UsageSource(Protocol):
    """What the CLI reads: the totals since an hour, optionally of one client."""

    def window(self, since_hour: int, client: str | None = None) -> UsageWindow: ...
