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
drain. A queue that has stood longer is overload: a request waits at most
``overload_wait_s``, and no more wait than there are slots (a newcomer displaces the oldest
waiter, refused at once rather than when its wait runs out), so that admitted requests stay
fast and refusals cost little. A freed slot goes to the *newest* waiter: under sustained
overload the requests admitted are those that waited least (their clients have not given up,
and their latency stays low). At most ``max_waiting`` wait at once.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress

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
        self._waiting: deque[asyncio.Future[bool]] = deque()
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
        waiting = len(self._waiting)
        wait_s = self.wait_s
        if waiting and self.clock() - self._emptied_at > self.standing_s:
            # The queue has stood: overload. Waits are brief, and no more requests wait than
            # there are slots (enough to refill each the moment it frees): the oldest waiters
            # make room for this one, refused at once rather than when their wait runs out.
            slots = math.ceil(self.limit)
            while len(self._waiting) >= slots:
                oldest = self._waiting.popleft()
                if not oldest.done():
                    oldest.set_result(False)
            wait_s = self.overload_wait_s
        if wait_s <= 0 or waiting >= self.max_waiting:
            REFUSED.inc()
            return False
        if not waiting:
            self._emptied_at = self.clock()  # empty until now
        loop = asyncio.get_running_loop()
        granted: asyncio.Future[bool] = loop.create_future()
        self._waiting.append(granted)
        # A timer that answers False, rather than a timeout that raises into this coroutine.
        timer = loop.call_later(wait_s, self._expire, granted)
        try:
            admitted = await granted
        except asyncio.CancelledError:
            timer.cancel()
            if granted.cancelled():
                self._remove(granted)  # still waiting
            elif granted.result():
                self.exit(None)  # the client left holding a slot: hand it on
            raise
        timer.cancel()
        if not admitted:
            REFUSED.inc()
        return admitted

    def _expire(self, granted: asyncio.Future[bool]) -> None:
        if not granted.done():
            self._remove(granted)
            granted.set_result(False)

    def _remove(self, waiter: asyncio.Future[bool]) -> None:
        with suppress(ValueError):  # already taken off, by exit() or a newcomer
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
                granted.set_result(True)
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
