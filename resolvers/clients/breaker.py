"""A circuit breaker per backend: closed → open → half-open → closed.

Closed lets every call through and counts consecutive failures; at ``failure_threshold`` it
opens, and calls fail at once without touching the network (a dead backend costs
microseconds instead of a connect timeout, and gets room to recover). After ``reset_s`` it is
half-open: one probe call goes through; its success closes the breaker, its failure opens it
again for another ``reset_s``.

Consecutive failures rather than a failure rate: under random errors a backend failing 20% of
calls trips a threshold of 10 in a row with probability 0.2**10 ≈ 1e-7 per call, while a
dead one trips it within one or two requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum

from prometheus_client import Gauge

CIRCUIT_STATE = Gauge(
    "crossfade_backend_circuit_state",
    "Circuit breaker state per backend: 0 closed, 1 open, 2 half-open.",
    ["backend"],
)


class CircuitState(IntEnum):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class CircuitBreaker:
    """Breaker of one backend; every method is called from the event loop (no locks)."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 10,
        reset_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = max(1, failure_threshold)
        self.reset_s = reset_s
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._gauge = CIRCUIT_STATE.labels(backend=name)
        self._gauge.set(CircuitState.CLOSED)

    @property
    def state(self) -> CircuitState:
        if self._state is CircuitState.OPEN and self._clock() - self._opened_at >= self.reset_s:
            self._move(CircuitState.HALF_OPEN)
        return self._state

    def allow(self) -> bool:
        """May a call go out now? In half-open, only the one probe may."""
        state = self.state
        if state is CircuitState.CLOSED:
            return True
        if state is CircuitState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def retry_in(self) -> float:
        """Seconds until the next probe may go out (0 when calls are allowed)."""
        if self.state is not CircuitState.OPEN:
            return 0.0
        return max(0.0, self.reset_s - (self._clock() - self._opened_at))

    def record_success(self) -> None:
        self._failures = 0
        self._probing = False
        if self._state is not CircuitState.CLOSED:
            self._move(CircuitState.CLOSED)

    def record_failure(self) -> None:
        self._failures += 1
        was_probe, self._probing = self._probing, False
        if was_probe or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
            self._move(CircuitState.OPEN)

    def release(self) -> None:
        """A call ended without a verdict (cancelled): free the probe slot, change nothing."""
        self._probing = False

    def _move(self, state: CircuitState) -> None:
        self._state = state
        self._gauge.set(state)
