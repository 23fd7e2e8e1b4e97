"""Rate limits shared by replicas without a Redis round trip per request: each replica decides
from its own GCRA buckets, and a background task sends what it admitted to Redis every
``interval_s``, getting back each bucket's shared state (every replica's admissions).

A bucket more than half spent is *watched*: it is synchronised every round, charged here or
not, so near its limit every replica sees the others' admissions within Δ.

Error bound. With N replicas and a sync interval Δ, a key admits at most what one bucket
would, plus what the other replicas admit before they next sync: at most (N−1)·(burst +
rate·Δ) units, once (all replicas starting from a full bucket at the same instant); from half
spent on, at most (N−1)·(burst/2 + rate·Δ). Every admitted unit reaches the shared bucket
within Δ, so the excess is repaid by refusals and the sustained rate holds. When Redis cannot
be reached, each replica keeps enforcing the limits on its own (N times the limit across N
replicas) and catches up when Redis is back; the request path is never delayed by Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from gateway.governance.rate_limiter import Charge, Limit, MemoryRateLimiter

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("crossfade.rate_limit")

# KEYS: buckets; ARGV: each one's increment in milliseconds, charged unconditionally (the
# replica already admitted it). Returns how far ahead of Redis' clock each bucket now is.
_CHARGE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local ahead = {}
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  local nt = tat + tonumber(ARGV[i])
  redis.call('SET', KEYS[i], string.format('%.3f', nt), 'PX', math.ceil(nt - now) + 1)
  ahead[i] = string.format('%.3f', nt - now)
end
return ahead
"""


class SyncedRateLimiter:
    def __init__(self, redis: Redis, prefix: str, *, max_keys: int, interval_s: float) -> None:
        self._local = MemoryRateLimiter(max_keys)
        self._prefix = prefix
        self._script = redis.register_script(_CHARGE_LUA)
        self.interval_s = interval_s
        self._pending: dict[str, tuple[Limit, float]] = {}
        # Buckets past half spent, synchronised every round until they refill.
        self._watched: dict[str, Limit] = {}
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        self.syncs = 0  # rounds sent to Redis (tests read it)

    async def acquire(self, charges: Sequence[Charge]) -> float:
        return self.charge(charges)

    def charge(self, charges: Sequence[Charge]) -> float:
        """Decided by the local buckets; what it took is sent to Redis in the background."""
        wait = self._local.charge(charges)
        if wait > 0:
            return wait
        for charge in charges:
            _, units = self._pending.get(charge.key, (charge.limit, 0.0))
            self._pending[charge.key] = (charge.limit, units + charge.units)
            if self._local.ahead(charge.key) > charge.limit.tolerance / 2:
                self._watched[charge.key] = charge.limit
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return 0.0

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            if self._pending or self._watched:
                await self.sync()

    async def sync(self) -> None:
        """Send the admissions since the last sync; take back the shared buckets."""
        sent, self._pending = self._pending, {}
        for key, limit in list(self._watched.items()):
            if key not in sent:
                if self._local.ahead(key) <= limit.tolerance / 2:
                    del self._watched[key]  # refilled: back to syncing only when charged
                    continue
                sent[key] = (limit, 0.0)  # only to learn the other replicas' charges
        keys = list(sent)
        try:
            reply = await self._script(
                keys=[self._prefix + key for key in keys],
                args=[limit.increment(units) * 1000 for limit, units in sent.values()],
            )
        except Exception as exc:  # redis.RedisError, OSError, timeouts
            if not self._failing:
                log.warning("rate limits not synchronised, enforced per replica: %s", exc)
            self._failing = True
            # Kept for the next round, so the shared buckets still learn of them.
            for key, (limit, units) in sent.items():
                if units:
                    _, later = self._pending.get(key, (limit, 0.0))
                    self._pending[key] = (limit, units + later)
            return
        self._failing = False
        self.syncs += 1
        now = time.monotonic()
        for key, ahead_ms in zip(keys, reply, strict=True):
            ahead = float(ahead_ms.decode() if isinstance(ahead_ms, bytes) else ahead_ms) / 1000
            # Admissions made here while the sync was in flight are not in the reply yet.
            limit, since = self._pending.get(key, (sent[key][0], 0.0))
            self._local.merge(key, now + ahead + limit.increment(since))
            if self._local.ahead(key) > limit.tolerance / 2:
                self._watched[key] = limit
