"""Rate limiting with GCRA (the generic cell rate algorithm): one stored number per key.

A key's state is its "theoretical arrival time" (TAT). A charge of ``n`` units at rate ``r``
moves the TAT ``n / r`` seconds on; the charge is allowed while the TAT stays within
``burst / r`` seconds of now. It is a token bucket without a refill timer, so it costs one
read and one write per key, and the Redis version is one atomic script call.

Several keys are charged together (the listener's and the client's buckets): all or none, so a
refused request never eats into the bucket that did have room.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("crossfade.rate_limit")


@dataclass(frozen=True, slots=True)
class Limit:
    """``rate`` units per second sustained, up to ``burst`` units at once."""

    rate: float
    burst: float

    def increment(self, units: float) -> float:
        return units / self.rate

    @property
    def tolerance(self) -> float:
        return self.burst / self.rate


@dataclass(frozen=True, slots=True)
class Charge:
    key: str
    limit: Limit
    units: float = 1.0


class RateLimiter(Protocol):
    async def acquire(self, charges: Sequence[Charge]) -> float:
        """Charge every key or none; 0.0 when allowed, else seconds until it would be."""
        ...


@runtime_checkable
class LocalRateLimiter(RateLimiter, Protocol):
    """A limiter that decides in process, with no I/O: :meth:`charge` is :meth:`acquire`
    without a coroutine (the cache-hit path calls it, a few µs cheaper)."""

    def charge(self, charges: Sequence[Charge]) -> float: ...


class MemoryRateLimiter:
    """One process's limits; the LRU bound keeps a flood of distinct keys from growing it
    (an evicted key starts over with a full bucket, which errs towards letting through)."""

    def __init__(self, max_keys: int) -> None:
        # An OrderedDict used as an LRU: C-level reads and moves, a few µs cheaper per
        # request than cachetools' LRUCache, which matters on the cache-hit path.
        self._tat: OrderedDict[str, float] = OrderedDict()
        self._max_keys = max_keys

    async def acquire(self, charges: Sequence[Charge]) -> float:
        return self.charge(charges)

    def charge(self, charges: Sequence[Charge]) -> float:
        """:meth:`acquire` without a coroutine: every request pays it, cache hits included,
        so it is written out with no helper calls."""
        now = time.monotonic()
        tat = self._tat
        wait = 0.0
        updated: list[float] = []
        for charge in charges:
            limit = charge.limit
            ahead = tat.get(charge.key, now) - now
            if ahead < 0.0:
                ahead = 0.0
            increment = charge.units / limit.rate
            # Relative to now, so a full bucket's first charge is exactly 0 over, not the
            # rounding error of (now + inc) - now - tolerance (which refused it now and then).
            over = ahead + increment - limit.burst / limit.rate
            if over > wait:
                wait = over
            updated.append(now + ahead + increment)
        if wait > 0:
            return wait
        for charge, new_tat in zip(charges, updated, strict=True):
            tat[charge.key] = new_tat
            tat.move_to_end(charge.key)
        while len(tat) > self._max_keys:
            tat.popitem(last=False)
        return 0.0

    def ahead(self, key: str) -> float:
        """How far the bucket's TAT is ahead of now (seconds; 0 for a full bucket)."""
        return max(self._tat.get(key, 0.0) - time.monotonic(), 0.0)

    def merge(self, key: str, tat: float) -> None:
        """Take in a bucket's state as seen elsewhere (``time.monotonic()`` based)."""
        if tat > self._tat.get(key, 0.0):
            self._set(key, tat)

    def _set(self, key: str, tat: float) -> None:
        self._tat[key] = tat
        self._tat.move_to_end(key)
        if len(self._tat) > self._max_keys:
            self._tat.popitem(last=False)


# KEYS: the buckets; ARGV: per key, the increment and the tolerance in milliseconds.
# Redis' own clock, so replicas with skewed clocks still agree; keys expire once drained.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local new = {}
local wait = 0
for i = 1, #KEYS do
  local inc = tonumber(ARGV[2 * i - 1])
  local tolerance = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local nt = tat + inc
  local over = nt - now - tolerance
  if over > wait then wait = over end
  new[i] = nt
end
if wait > 0 then return string.format('%.3f', wait) end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], string.format('%.3f', new[i]),
             'PX', math.ceil(new[i] - now) + 1)
end
return '0'
"""


class RedisRateLimiter:
    """Limits shared by every replica pointing at the same Redis.

    When Redis cannot be reached the request is let through (and logged): an outage of the
    limiter's store should not become an outage of the API.
    """

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._prefix = prefix
        self._script = redis.register_script(_GCRA_LUA)

    async def acquire(self, charges: Sequence[Charge]) -> float:
        keys = [f"{self._prefix}{c.key}" for c in charges]
        args: list[float] = []
        for c in charges:
            args += [c.limit.increment(c.units) * 1000, c.limit.tolerance * 1000]
        try:
            reply = await self._script(keys=keys, args=args)
        except Exception as exc:  # redis.RedisError, OSError, timeouts
            log.warning("rate limiter unavailable, letting the request through: %s", exc)
            return 0.0
        text = reply.decode() if isinstance(reply, bytes) else str(reply)
        return float(text) / 1000


def retry_after_header(wait_s: float) -> str:
    """``Retry-After`` in whole seconds, never 0 (a client would retry at once)."""
    return str(max(1, math.ceil(wait_s)))
