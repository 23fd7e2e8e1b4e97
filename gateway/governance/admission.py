"""Admission control: a bound on concurrent executions, so that past capacity requests are
refused quickly instead of queueing until every one of them is late.

The limit is configured (``CROSSFADE_MAX_CONCURRENT_EXECUTIONS``) or, by default, adaptive:
an execution's latency is compared with the fastest seen lately (what one costs on an idle
gateway, backends included). While executions finish within ``target_s`` of that, the limit
grows by one per ``limit`` completions; when one does not, it shrinks by a tenth (never below
2, at most once per ``target_s``). On one event loop, extra concurrency past what saturates
the CPU only adds latency, so the limit settles where executions take about ``target_s``
longer than alone, which keeps the CPU busy (goodput) and latency bounded.

Past the limit a request waits, then is refused (503 ``OVERLOADED``, ``Retry-After``). How
long it waits follows CoDel's idea (as Facebook's adaptive LIFO does): a queue that emptied
within the last ``standing_s`` is a burst, and a request waits up to ``wait_s`` for it to
drain; a queue that has stood longer is overload, and a request waits at most
``overload_wait_s``, so that admitted requests stay fast and the refused ones learn it
quickly. A freed slot goes to the *newest* waiter: under sustained overload the requests
admitted are those that waited least (their clients have not given up, and their latency
stays low), while the older ones run out their bounded wait. At most ``max_waiting`` wait at
once.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from prometheus_client import Counter, Gauge

REFUSED = Counter("crossfade_admission_refused_total", "Requests refused as overload (503).")
LIMIT = Gauge("crossfade_admission_limit", "Concurrent executions allowed now.")
ACTIVE = Gauge("crossfade_admission_active", "Executions running now.")

_INITIAL = 8
# The adaptive limit's floor: with one execution, the event loop idles whenever it awaits a
# backend (or SQLite, in-process), so goodput falls well short of capacity.
_FLOOR = 2.0
_MAX = 512
_DECREASE = 0.9
_BASELINE_WINDOW_S = 30.0
# A queue that has not emptied for this long is standing: overload, not a burst.
_STANDING_S = 0.1


class Admission:
    def __init__(
        self,
        *,
        limit: int,
        target_s: float,
        wait_s: float,
        max_waiting: int,
        overload_wait_s: float | None = None,
        standing_s: float = _STANDING_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.adaptive = limit == 0
        self.limit = float(limit or _INITIAL)
        self.target_s = target_s
        self.wait_s = wait_s
        self.overload_wait_s = wait_s if overload_wait_s is None else min(overload_wait_s, wait_s)
        self.standing_s = standing_s
        self.max_waiting = max_waiting
        self.clock = clock
        self.active = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._emptied_at = clock()  # when the queue was last empty
        self._last_decrease = 0.0
        # The fastest execution of the current and the previous window: the baseline follows
        # the gateway when what an execution costs alone changes.
        self._window_started = clock()
        self._fastest = float("inf")
        self._previous_fastest = float("inf")
        LIMIT.set(self.limit)

    @property
    def baseline(self) -> float:
        return min(self._fastest, self._previous_fastest)

    async def enter(self) -> bool:
        """True when admitted (then call :meth:`exit`), False when refused."""
        if self.active < self.limit and not self._waiting:
            self._admit()
            return True
        wait_s = self.wait_s
        if self._waiting and self.clock() - self._emptied_at > self.standing_s:
            wait_s = self.overload_wait_s  # the queue has stood: overload
        if wait_s <= 0 or len(self._waiting) >= self.max_waiting:
            REFUSED.inc()
            return False
        if not self._waiting:
            self._emptied_at = self.clock()  # empty until now
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(granted)
        try:
            async with asyncio.timeout(wait_s):
                await asyncio.shield(granted)
        except TimeoutError:
            if granted.done():
                return True  # handed a slot just as the wait ran out
            self._remove(granted)
            REFUSED.inc()
            return False
        except asyncio.CancelledError:
            if granted.done():
                self.exit(None)  # the client left holding a slot: hand it on
            else:
                self._remove(granted)
            raise
        return True

    def _remove(self, waiter: asyncio.Future[None]) -> None:
        self._waiting.remove(waiter)
        if not self._waiting:
            self._emptied_at = self.clock()

    def exit(self, latency_s: float | None) -> None:
        """An admitted execution finished after ``latency_s`` (None: not measured)."""
        self.active -= 1
        if latency_s is not None and self.adaptive:
            self._adapt(latency_s)
        while self._waiting and self.active < self.limit:
            granted = self._waiting.pop()  # the newest
            if not granted.done():
                self._admit()
                granted.set_result(None)
            if not self._waiting:
                self._emptied_at = self.clock()
        ACTIVE.set(self.active)

    def _admit(self) -> None:
        self.active += 1
        ACTIVE.set(self.active)

    def _adapt(self, latency_s: float) -> None:
        now = self.clock()
        if now - self._window_started > _BASELINE_WINDOW_S:
            self._previous_fastest, self._fastest = self._fastest, latency_s
            self._window_started = now
        self._fastest = min(self._fastest, latency_s)
        if latency_s > self.baseline + self.target_s:
            if now - self._last_decrease >= self.target_s:
                self.limit = max(_FLOOR, self.limit * _DECREASE)
                self._last_decrease = now
        else:
            self.limit = min(float(_MAX), self.limit + 1.0 / self.limit)
        LIMIT.set(self.limit)
