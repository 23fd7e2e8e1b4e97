"""The retry policy: a bounded share of calls, jittered exponential backoff."""

from __future__ import annotations

import random

from resolvers.clients.retry import Backoff, RetryBudget


def test_retries_stay_under_a_tenth_of_calls_however_many_fail() -> None:
    budget = RetryBudget(ratio=0.1, burst=10)
    retries = 0
    for _ in range(1000):  # every call fails and asks for a retry
        budget.deposit()
        retries += budget.withdraw()
    assert retries <= 0.1 * 1000 + 10
    assert retries >= 0.1 * 1000 - 1


def test_an_empty_budget_refuses_until_calls_refill_it() -> None:
    budget = RetryBudget(ratio=0.5, burst=1)
    assert budget.withdraw()
    assert not budget.withdraw()
    budget.deposit()
    assert not budget.withdraw()
    budget.deposit()
    assert budget.withdraw()


def test_backoff_grows_exponentially_up_to_its_cap_with_full_jitter() -> None:
    backoff = Backoff(base_s=0.01, cap_s=0.05)
    rng = random.Random(7)
    delays = {attempt: [backoff.delay(attempt, rng) for _ in range(200)] for attempt in range(4)}
    assert all(0 <= d <= 0.01 for d in delays[0])
    assert all(0 <= d <= 0.02 for d in delays[1])
    assert all(0 <= d <= 0.05 for d in delays[3])
    assert max(delays[3]) > 0.04  # the cap, not 0.08, bounds attempt 3
    assert len(set(delays[0])) == 200  # jittered, never in lockstep
