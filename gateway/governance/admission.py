"""Admission control: a bound on concurrent executions, so that past capacity requests are
refused quickly instead of queueing until every one of them is late.

The limit is configured (``CROSSFADE_MAX_CONCURRENT_EXECUTIONS``) or, by default, adaptive:
an execution's latency is compared with the fastest seen lately (what one costs on an idle
gateway, backends included). While executions finish within ``target_s`` of that, the limit
grows by one per ``limit`` completions; when one does not, it shrinks by a tenth (at most once
per ``target_s``). On one event loop, extra concurrency past what saturates the CPU only adds
latency, so the limit settles where executions take about ``target_s`` longer than alone,
which keeps the CPU busy (goodput) and latency bounded.

Past the limit a request waits up to ``wait_s``; then it is refused (503 ``OVERLOADED``,
``Retry-After``). A freed slot goes to the *newest* waiter: under sustained overload the
requests admitted are those that waited least (their clients have not given up, and their
latency stays low), while the older ones run out their bounded wait. At most ``max_waiting``
wait at once.
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
_MAX = 512
_DECREASE = 0.9
_BASELINE_WINDOW_S = 30.0


class Admission:
    def __init__(
        self,
        *,
        limit: int,
        target_s: float,
        wait_s: float,
        max_waiting: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.adaptive = limit == 0
        self.limit = float(limit or _INITIAL)
        self.target_s = target_s
        self.wait_s = wait_s
        self.max_waiting = max_waiting
        self.clock = clock
        self.active = 0
        self._waiting: deque[asyncio.Future[None]] = deque()
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
        if self.wait_s <= 0 or len(self._waiting) >= self.max_waiting:
            REFUSED.inc()
            return False
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(granted)
        try:
            async with asyncio.timeout(self.wait_s):
                await asyncio.shield(granted)
        except TimeoutError:
            if granted.done():
                return True  # handed a slot just as the wait ran out
            self._waiting.remove(granted)
            REFUSED.inc()
            return False
        except asyncio.CancelledError:
            if granted.done():
                self.exit(None)  # the client left holding a slot: hand it on
            else:
                self._waiting.remove(granted)
            raise
        return True

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
                self.limit = max(1.0, self.limit * _DECREASE)
                self._last_decrease = now
        else:
            self.limit = min(float(_MAX), self.limit + 1.0 / self.limit)
        LIMIT.set(self.limit)
