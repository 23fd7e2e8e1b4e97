"""How the gateway calls one backend: its timeout, retries and circuit breaker settings.

Built from the gateway's settings (``gateway/services.py``) at start-up, one per backend;
no defaults here, so ``Settings`` stays the one place a value lives.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallPolicy:
    # Longest one attempt may take; the request's remaining deadline can shorten it.
    timeout_s: float
    # Attempts per idempotent read, the first one included (1 disables retries).
    max_attempts: int
    backoff_base_s: float
    backoff_cap_s: float
    # Retries may spend at most this share of calls, plus a burst held in reserve.
    retry_ratio: float
    retry_burst: float
    # Consecutive failures that open the breaker, and how long it stays open.
    breaker_failures: int
    breaker_reset_s: float
