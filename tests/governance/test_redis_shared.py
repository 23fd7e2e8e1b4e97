"""Shared state in a real redis-server: the APQ store and the rate limits hold across two
gateway processes (real uvicorn, `crossfade serve`) pointed at the same Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.governance.documents import RedisDocumentStore
from gateway.governance.rate_limiter import Charge, Limit, RedisRateLimiter
from gateway.governance.redis_store import connect
from tests.support.graphql import document_hash, persisted_query
from tests.support.loopback import free_port
from tests.support.process import gateway_process, start_all, stop_all
from tests.support.repo import operation
from tests.support.tokens import bearer

SEARCH = operation("Search")
SEARCH_SHA = document_hash(SEARCH)
BURST = 6
SYNC_S = 0.05


@pytest.fixture(scope="module")
def gateways(data_dir: Path, redis_url: str) -> Iterator[list[str]]:
    """Two replicas sharing one Redis, with a small per-listener request burst."""
    import redis  # the tests below name their clients `redis`

    with redis.Redis.from_url(redis_url) as r:
        r.flushdb()
    replicas = [
        gateway_process(
            data_dir,
            CROSSFADE_REDIS_URL=redis_url,
            CROSSFADE_RATE_LIMIT_LISTENER_RPS="0.001",
            CROSSFADE_RATE_LIMIT_LISTENER_BURST=str(BURST),
            CROSSFADE_RATE_LIMIT_SYNC_S=str(SYNC_S),
            CROSSFADE_LOG_LEVEL="WARNING",
        )
        for _ in range(2)
    ]
    start_all(replicas)
    try:
        yield [replica.url for replica in replicas]
    finally:
        stop_all(replicas)


@pytest.mark.slow
def test_a_query_registered_on_one_replica_runs_by_hash_on_the_other(
    gateways: list[str],
) -> None:
    a, b = gateways
    variables = {"q": "metalica"}
    # given: B has never seen the hash
    before = httpx.post(
        f"{b}/graphql", json={"variables": variables, "extensions": persisted_query(SEARCH_SHA)}
    )
    # when: A registers it (Apollo's retry with the full query)
    registered = httpx.post(
        f"{a}/graphql",
        json={"query": SEARCH, "variables": variables, "extensions": persisted_query(SEARCH_SHA)},
    )
    # then: B runs it by hash alone
    by_hash = httpx.post(
        f"{b}/graphql", json={"variables": variables, "extensions": persisted_query(SEARCH_SHA)}
    )
    assert before.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert registered.status_code == 200 and "errors" not in registered.json()
    assert by_hash.status_code == 200, by_hash.text
    assert by_hash.json()["data"] == registered.json()["data"]
    assert by_hash.json()["data"]["search"]["topResult"]["name"] == "Metallica"


@pytest.mark.slow
def test_a_listener_limit_holds_across_both_replicas(gateways: list[str]) -> None:
    a, b = gateways
    headers = bearer("user-7")
    query = {"query": "{ home { greeting } }"}
    # BURST requests alternating between the replicas all pass ...
    statuses = [
        httpx.post(f"{gateways[i % 2]}/graphql", json=query, headers=headers).status_code
        for i in range(BURST)
    ]
    # ... and, once the replicas have synchronised their buckets (bucket_sync.py), the next
    # one is refused by either, because they share the bucket.
    time.sleep(SYNC_S * 4)
    on_a = httpx.post(f"{a}/graphql", json=query, headers=headers)
    on_b = httpx.post(f"{b}/graphql", json=query, headers=headers)
    other = httpx.post(f"{b}/graphql", json=query, headers=bearer("user-8"))
    assert statuses == [200] * BURST
    assert (on_a.status_code, on_b.status_code) == (429, 429)
    assert on_b.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(on_b.headers["retry-after"]) >= 1
    assert other.status_code == 200


@pytest.mark.anyio
async def test_redis_gcra_charges_all_keys_or_none(flush_redis: str) -> None:
    redis = connect(flush_redis, timeout_s=1.0, max_connections=2)
    try:
        limiter = RedisRateLimiter(redis, "test:rl:")
        tight, roomy = Limit(rate=0.001, burst=1), Limit(rate=0.001, burst=3)
        assert await limiter.acquire([Charge("a", tight), Charge("b", roomy)]) == 0
        assert await limiter.acquire([Charge("a", tight), Charge("b", roomy)]) > 0
        # "b" kept the 2 units the refused attempt did not take.
        assert [await limiter.acquire([Charge("b", roomy)]) for _ in range(2)] == [0, 0]
        assert await limiter.acquire([Charge("b", roomy)]) > 0
        # Drained buckets do not linger: every key carries an expiry.
        assert await redis.pttl("test:rl:a") > 0
    finally:
        await redis.aclose()


@pytest.mark.anyio
async def test_redis_document_store_shares_documents_between_instances(flush_redis: str) -> None:
    redis = connect(flush_redis, timeout_s=1.0, max_connections=2)
    try:
        one = RedisDocumentStore(redis, "test:apq:", ttl_s=60, local_size=10)
        two = RedisDocumentStore(redis, "test:apq:", ttl_s=60, local_size=10)
        assert await two.get(SEARCH_SHA) is None
        await one.put(SEARCH_SHA, SEARCH)
        assert await two.get(SEARCH_SHA) == SEARCH
        assert 0 < await redis.ttl(f"test:apq:{SEARCH_SHA}") <= 60
    finally:
        await redis.aclose()


@pytest.mark.anyio
async def test_an_unreachable_redis_degrades_to_not_found_and_no_limit() -> None:
    redis = connect(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2, max_connections=2)
    try:
        store = RedisDocumentStore(redis, "test:apq:", ttl_s=60, local_size=10)
        assert await store.get(SEARCH_SHA) is None
        limiter = RedisRateLimiter(redis, "test:rl:")
        assert await limiter.acquire([Charge("a", Limit(rate=0.001, burst=1))]) == 0
    finally:
        await redis.aclose()
