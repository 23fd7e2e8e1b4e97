"""Usage counts in Redis, so replicas add up: one hash per UTC hour,
``crossfade:usage:2026-11-30T14`` → ``{"client|version|operation|coordinate": count}``,
incremented with HINCRBY and expiring after the retention window.

``|`` cannot occur in any part: client names and versions are sanitised to
``[A-Za-z0-9._@/:+ -]``, operation names are GraphQL names, coordinates are names, dots,
parentheses and a colon.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING

from gateway.usage.usage_store import HOUR_S, UsageKey, UsageTotal, UsageWindow, hour_of

if TYPE_CHECKING:
    import redis
    import redis.asyncio

_SEPARATOR = "|"


def hour_key(prefix: str, hour: int) -> str:
    return prefix + dt.datetime.fromtimestamp(hour, dt.UTC).strftime("%Y-%m-%dT%H")


class RedisUsageSink:
    """The gateway's side, over the shared asyncio connection pool."""

    def __init__(self, redis: redis.asyncio.Redis, prefix: str, *, retention_days: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_s = retention_days * 24 * HOUR_S

    async def add(self, rows: dict[UsageKey, int]) -> None:
        if not rows:
            return
        pipe = self._redis.pipeline(transaction=False)
        hours: set[int] = set()
        for (hour, client, version, operation, coordinate), count in rows.items():
            field = _SEPARATOR.join((client, version, operation, coordinate))
            pipe.hincrby(hour_key(self._prefix, hour), field, count)
            hours.add(hour)
        for hour in hours:
            # Counted from the hour's start, so an hour expires whole, never half-counted.
            pipe.expireat(hour_key(self._prefix, hour), hour + self._ttl_s + HOUR_S)
        await pipe.execute()


class RedisUsageSource:
    """The CLI's side: sums the hourly hashes of the window."""

    def __init__(self, redis: redis.Redis, prefix: str, *, source: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._source = source

    def window(self, since_hour: int, client: str | None = None) -> UsageWindow:
        hours = list(range(since_hour, hour_of(time.time()) + 1, HOUR_S))
        pipe = self._redis.pipeline(transaction=False)
        for hour in hours:
            pipe.hgetall(hour_key(self._prefix, hour))
        sums: dict[tuple[str, str, str, str], list[int]] = {}
        for hour, fields in zip(hours, pipe.execute(), strict=True):
            for raw, raw_count in fields.items():
                parts = raw.decode().split(_SEPARATOR)
                if len(parts) != 4 or (client is not None and parts[0] != client):
                    continue
                key = (parts[0], parts[1], parts[2], parts[3])
                entry = sums.setdefault(key, [0, hour])
                entry[0] += int(raw_count)
                entry[1] = max(entry[1], hour)
        window = UsageWindow(since_hour=since_hour, source=self._source)
        window.totals = [UsageTotal(*key, count, last) for key, (count, last) in sums.items()]
        return window
