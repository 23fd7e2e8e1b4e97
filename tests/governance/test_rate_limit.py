"""Rate limits per listener (guests: per IP) and per client name, by requests and by cost."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from gateway.governance.rate_limiter import Charge, Limit, MemoryRateLimiter
from tests.support.app import Gateway
from tests.support.calls import CallMeter
from tests.support.graphql import post
from tests.support.repo import operation

pytestmark = pytest.mark.anyio

TINY = {"query": "{ home { greeting } }"}
# Practically no refill during a test: the burst is all there is.
SLOW = 0.001


def assert_rate_limited(r: httpx.Response) -> None:
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    [error] = r.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(r.headers["retry-after"])


async def test_a_listener_over_the_request_burst_gets_429_and_others_do_not(
    gateway: Gateway,
) -> None:
    settings: dict[str, Any] = {"rate_limit_listener_rps": SLOW, "rate_limit_listener_burst": 3}
    client = await gateway(**settings)
    allowed = [(await post(client, TINY, user="user-1")).status_code for _ in range(3)]
    refused = await post(client, TINY, user="user-1")
    other = await post(client, TINY, user="user-2")
    assert allowed == [200, 200, 200]
    assert_rate_limited(refused)
    assert other.status_code == 200


async def test_guests_are_limited_per_client_ip(gateway: Gateway) -> None:
    settings: dict[str, Any] = {"rate_limit_listener_rps": SLOW, "rate_limit_listener_burst": 2}
    client = await gateway(client_ip="192.0.2.1", **settings)
    statuses = [(await post(client, TINY)).status_code for _ in range(3)]
    # A token names a listener, who has a bucket of their own.
    signed_in = await post(client, TINY, user="user-1")
    assert statuses == [200, 200, 429]
    assert signed_in.status_code == 200


async def test_a_client_name_is_limited_across_listeners(gateway: Gateway) -> None:
    settings: dict[str, Any] = {"rate_limit_client_rps": SLOW, "rate_limit_client_burst": 3}
    client = await gateway(**settings)
    statuses = []
    for user, header in [
        ("user-1", "apollographql-client-name"),
        ("user-2", "x-client-name"),
        ("user-3", "apollographql-client-name"),
        ("user-4", "x-client-name"),
    ]:
        r = await post(client, TINY, user=user, headers={header: "web-player"})
        statuses.append(r.status_code)
    other_app = await post(client, TINY, user="user-5", headers={"x-client-name": "ios"})
    assert statuses == [200, 200, 200, 429]
    assert other_app.status_code == 200


async def test_query_cost_is_charged_and_refused_with_429_before_any_backend_call(
    gateway: Gateway,
) -> None:
    # given: a cost bucket holding about one and a half Home screens (HomeFeed costs 1657)
    settings: dict[str, Any] = {
        "rate_limit_listener_cost_ps": SLOW,
        "rate_limit_listener_cost_burst": 2500,
        "max_query_cost": 2500,
        "response_cache": False,  # a cache hit is charged as a request, not its cost
    }
    request = {"query": operation("HomeFeed")}
    client = await gateway(**settings)
    first = await post(client, request, user="user-1")
    with CallMeter() as meter:
        second = await post(client, request, user="user-1")
    cheap = await post(client, TINY, user="user-1")
    assert first.status_code == 200 and "errors" not in first.json()
    assert_rate_limited(second)
    assert second.json()["data"] is None
    assert meter.total == 0
    # The refused request charged nothing: a cheap one still fits what is left.
    assert cheap.status_code == 200 and "errors" not in cheap.json()


async def test_rate_limiting_can_be_switched_off(gateway: Gateway) -> None:
    client = await gateway(rate_limit=False, rate_limit_listener_burst=1)
    statuses = {(await post(client, TINY, user="user-1")).status_code for _ in range(3)}
    assert statuses == {200}


async def test_health_and_metrics_are_not_rate_limited(gateway: Gateway) -> None:
    client = await gateway(rate_limit_listener_rps=SLOW, rate_limit_listener_burst=1)
    statuses = {(await client.get("/healthz")).status_code for _ in range(3)}
    assert statuses == {200}


async def test_gcra_charges_all_keys_or_none() -> None:
    limiter = MemoryRateLimiter(max_keys=100)
    tight, roomy = Limit(rate=SLOW, burst=1), Limit(rate=SLOW, burst=10)
    assert await limiter.acquire([Charge("a", tight), Charge("b", roomy)]) == 0
    wait = await limiter.acquire([Charge("a", tight), Charge("b", roomy)])
    assert wait > 0
    # "b" was not charged by the refused attempt: 9 more fit.
    for _ in range(9):
        assert await limiter.acquire([Charge("b", roomy)]) == 0
    assert await limiter.acquire([Charge("b", roomy)]) > 0


async def test_gcra_allows_the_burst_then_the_rate() -> None:
    limiter = MemoryRateLimiter(max_keys=100)
    limit = Limit(rate=1.0, burst=5)
    results = [await limiter.acquire([Charge("k", limit)]) for _ in range(6)]
    assert results[:5] == [0.0] * 5
    # The sixth waits about one emission interval (1 s at 1/s).
    assert 0.9 < results[5] <= 1.0
    # A charge larger than the burst could never pass; it says how long the bucket needs.
    assert await limiter.acquire([Charge("big", limit, 7)]) == pytest.approx(2.0, abs=0.05)
