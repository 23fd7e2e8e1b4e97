"""How the gateway calls one backend: its timeout, retries and circuit breaker settings.

Built from the gateway's settings (``gateway/config.py``) at start-up, one per backend; the
defaults here are the settings' defaults, so tests and scripts can build clients bare.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CallPolicy:
    # Longest one attempt may take; the request's remaining deadline can shorten it.
    timeout_s: float = 2.0
    # Attempts per idempotent read, the first one included (1 disables retries).
    max_attempts: int = 3
    backoff_base_s: float = 0.025
    backoff_cap_s: float = 0.25
    # Retries may spend at most this share of calls, plus a burst held in reserve.
    retry_ratio: float = 0.1
    retry_burst: float = 10.0
    # Consecutive failures that open the breaker, and how long it stays open.
    breaker_failures: int = 10
    breaker_reset_s: float = 5.0
