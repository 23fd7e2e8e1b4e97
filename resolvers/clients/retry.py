"""When a failed backend read may be tried again, and after how long.

Only idempotent reads (GET) are retried, and only after failures that a second attempt can
fix (a refused or dropped connection, a 5xx, a garbled body), never after a timeout: the
attempt already used its whole budget, and more load is the last thing a slow backend needs.

Retries are bounded three ways: ``max_attempts`` per call; a token bucket per backend, where
every call deposits ``ratio`` tokens and every retry spends one, so retries stay under
``ratio`` of calls however many requests fail (no retry storm when a backend is down); and
the request's deadline, which the backoff sleep may not overrun.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from prometheus_client import Counter

BACKEND_RETRIES = Counter(
    "crossfade_backend_retries_total",
    "Backend reads the gateway sent again after a failure.",
    ["backend"],
)
RETRIES_REFUSED = Counter(
    "crossfade_backend_retries_refused_total",
    "Retries not sent because the backend's retry budget was spent.",
    ["backend"],
)


class RetryBudget:
    """A token bucket: each call deposits ``ratio`` tokens, each retry withdraws one."""

    def __init__(self, *, ratio: float = 0.1, burst: float = 10.0) -> None:
        self.ratio = ratio
        self.burst = burst
        # Full at start so a freshly started gateway can already ride out a blip.
        self._tokens = burst

    def deposit(self) -> None:
        self._tokens = min(self.burst, self._tokens + self.ratio)

    def withdraw(self) -> bool:
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter: attempt n waits U(0, min(cap, base * 2**n))."""

    base_s: float = 0.025
    cap_s: float = 0.25

    def delay(self, attempt: int, rng: random.Random) -> float:
        # Full jitter spreads the retries of many requests that failed together.
        return rng.uniform(0.0, min(self.cap_s, self.base_s * 2**attempt))
