"""Rate limits decided locally, synchronised with a real Redis in the background: no round
trip on the request path, and across replicas the documented error bound holds
(gateway/governance/bucket_sync.py). Two limiters stand for two replicas; the tests call
their sync rounds themselves, so no timing is involved."""

from __future__ import annotations

import pytest

from gateway.governance.bucket_sync import SyncedRateLimiter
from gateway.governance.rate_limiter import Charge, Limit
from gateway.governance.redis_store import connect
from tests.support.loopback import free_port

pytestmark = pytest.mark.anyio

BURST = 10
LIMIT = Limit(rate=0.001, burst=BURST)  # no refill within a test


async def admitted(limiter: SyncedRateLimiter, key: str, tries: int) -> int:
    return sum([await limiter.acquire([Charge(key, LIMIT)]) == 0 for _ in range(tries)])


async def test_replicas_starting_together_admit_at_most_n_bursts_then_share_the_bucket(
    flush_redis: str,
) -> None:
    redis = connect(flush_redis, timeout_s=1.0, max_connections=4)
    a = SyncedRateLimiter(redis, "test:rl:", max_keys=100, interval_s=60)
    b = SyncedRateLimiter(redis, "test:rl:", max_keys=100, interval_s=60)
    try:
        # both see a full bucket and spend it before either syncs: the worst case
        first = await admitted(a, "k", 15) + await admitted(b, "k", 15)
        await a.sync()
        await b.sync()
        await a.sync()  # past half spent, A keeps learning B's charges
        later = await admitted(a, "k", 5) + await admitted(b, "k", 5)
    finally:
        await a.aclose()
        await b.aclose()
        await redis.aclose()
    # (N - 1) * burst over one bucket, and once synchronised, nothing more
    assert first == 2 * BURST
    assert later == 0


async def test_near_the_limit_each_replica_sees_the_others_admissions_within_a_round(
    flush_redis: str,
) -> None:
    redis = connect(flush_redis, timeout_s=1.0, max_connections=4)
    a = SyncedRateLimiter(redis, "test:rl:", max_keys=100, interval_s=60)
    b = SyncedRateLimiter(redis, "test:rl:", max_keys=100, interval_s=60)
    try:
        assert await admitted(a, "k", 6) == 6  # A past half: watched from now on
        await a.sync()
        assert await admitted(b, "k", 3) == 3  # B spends what A could not know of
        await b.sync()
        await a.sync()  # A sends nothing, learns B's 3
        # 6 + 3 spent: one left in the shared bucket, and either replica knows it
        assert await admitted(a, "k", 3) == 1
        await a.sync()
        await b.sync()
        assert await admitted(b, "k", 3) == 0
    finally:
        await a.aclose()
        await b.aclose()
        await redis.aclose()


async def test_without_redis_each_replica_still_enforces_the_limit() -> None:
    redis = connect(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2, max_connections=2)
    limiter = SyncedRateLimiter(redis, "test:rl:", max_keys=100, interval_s=60)
    try:
        assert await admitted(limiter, "k", 15) == BURST
        await limiter.sync()  # fails quietly; the charges wait for the next round
        assert await admitted(limiter, "k", 5) == 0
    finally:
        await limiter.aclose()
        await redis.aclose()
