"""Overload: past the admission limit a request waits a bounded time, then gets 503
OVERLOADED with Retry-After; health checks and cache hits never queue behind executions.

The process test runs a real gateway (uvicorn) with an execution limit of one and a search
backend slowed to 1.5 s, and real concurrent clients."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.governance.admission import Admission
from tests.support.process import gateway_process
from tests.support.repo import operation


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.anyio
async def test_past_the_limit_a_request_waits_its_turn_or_is_refused() -> None:
    admission = Admission(limit=1, target_s=0.05, wait_s=0.2, max_waiting=1)
    assert await admission.enter()
    # the next one waits; the one after finds the waiting room full and is refused at once
    waiting = asyncio.create_task(admission.enter())
    await asyncio.sleep(0)
    assert not await admission.enter()
    admission.exit(0.01)  # the slot passes to the waiting request
    assert await waiting
    assert admission.active == 1
    # a wait that runs out is a refusal
    quick = Admission(limit=1, target_s=0.05, wait_s=0.01, max_waiting=8)
    assert await quick.enter()
    assert not await quick.enter()
    assert quick.active == 1


@pytest.mark.anyio
async def test_a_client_leaving_while_it_waits_gives_up_its_place() -> None:
    admission = Admission(limit=1, target_s=0.05, wait_s=5, max_waiting=8)
    assert await admission.enter()
    left = asyncio.create_task(admission.enter())
    await asyncio.sleep(0)
    left.cancel()
    with pytest.raises(asyncio.CancelledError):
        await left
    admission.exit(0.01)
    assert admission.active == 0
    assert await admission.enter()


def test_the_adaptive_limit_follows_the_latency_of_executions() -> None:
    clock = Clock()
    admission = Admission(limit=0, target_s=0.05, wait_s=0.05, max_waiting=8, clock=clock)
    start = admission.limit
    # executions as fast as the fastest seen: the limit grows
    for _ in range(50):
        admission.active += 1
        admission.exit(0.01)
        clock.now += 0.001
    grown = admission.limit
    # executions 0.1 s slower than the fastest: it shrinks, at most once per target
    for _ in range(20):
        admission.active += 1
        admission.exit(0.11)
        clock.now += 0.05
    assert grown > start
    assert 1 <= admission.limit < grown * 0.9**10


@pytest.fixture(scope="module")
def slow_gateway(data_dir: Path) -> Iterator[str]:
    with gateway_process(
        data_dir,
        CROSSFADE_MAX_CONCURRENT_EXECUTIONS="1",
        CROSSFADE_ADMISSION_WAIT_S="0.05",
        CROSSFADE_SEARCH_INJECT_LATENCY_MS="1500",
        CROSSFADE_RATE_LIMIT="false",
        CROSSFADE_LOG_LEVEL="WARNING",
    ) as gateway:
        yield gateway.url


@pytest.mark.slow
@pytest.mark.anyio
async def test_excess_requests_are_shed_quickly_while_health_and_hits_answer(
    slow_gateway: str,
) -> None:
    home = {"query": operation("HomeFeed")}
    async with httpx.AsyncClient(base_url=slow_gateway, timeout=30) as client:
        # given: a guest's Home cached (it needs no search)
        await client.post("/graphql", json=home)
        assert (await client.post("/graphql", json=home)).headers["x-cache"] == "hit"

        # when: eight searches (all misses, each 1.5 s in the slowed backend) arrive at once
        async def search(q: str) -> httpx.Response:
            body = {"query": operation("Search"), "variables": {"q": q}}
            return await client.post("/graphql", json=body)

        searches = [
            asyncio.create_task(search(q)) for q in ("a", "b", "c", "d", "e", "f", "g", "h")
        ]
        shed: list[asyncio.Task[httpx.Response]] = []
        while len(shed) < 7:
            done, _ = await asyncio.wait(
                [t for t in searches if t not in shed], return_when=asyncio.FIRST_COMPLETED
            )
            shed += done
        # then: seven were refused while the admitted one is still running, and meanwhile
        # health checks and cache hits are answered
        running = [t for t in searches if t not in shed]
        health = await client.get("/healthz")
        hit = await client.post("/graphql", json=home)
        assert len(running) == 1 and not running[0].done()
        admitted = await running[0]

    for task in shed:
        refused = task.result()
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.json() == {
            "errors": [
                {
                    "message": "The gateway is at capacity: retry in 1 s.",
                    "extensions": {"code": "OVERLOADED", "retryAfter": 1},
                }
            ]
        }
    assert health.status_code == 200
    assert hit.status_code == 200 and hit.headers["x-cache"] == "hit"
    assert admitted.status_code == 200 and "errors" not in admitted.json()


@pytest.mark.anyio
async def test_a_burst_waits_long_but_a_standing_queue_only_briefly() -> None:
    clock = Clock()
    admission = Admission(
        limit=1, target_s=0.05, wait_s=5, max_waiting=8, overload_wait_s=0.01, clock=clock
    )
    assert await admission.enter()
    # a burst: the queue was empty a moment ago, so the first waiter may wait its 5 s
    burst = asyncio.create_task(admission.enter())
    await asyncio.sleep(0.02)
    assert not burst.done()
    # the queue has now stood past 0.1 s: overload. One slot, so one waiter: the newcomer
    # takes the old waiter's place (refused at once), and waits 10 ms at most itself
    clock.now += 0.2
    newcomer = asyncio.create_task(admission.enter())
    await asyncio.sleep(0)
    assert not await burst
    assert not newcomer.done()
    assert not await newcomer
    assert admission.active == 1 and not admission._waiting
    # with the queue empty again, waits are long once more, and a freed slot goes to them
    clock.now += 0.2
    again = asyncio.create_task(admission.enter())
    await asyncio.sleep(0.02)
    assert not again.done()
    admission.exit(0.01)
    assert await again


@pytest.mark.anyio
async def test_a_standing_queue_keeps_one_waiter_per_slot_the_newest() -> None:
    clock = Clock()
    admission = Admission(
        limit=2, target_s=0.05, wait_s=5, max_waiting=8, overload_wait_s=5, clock=clock
    )
    assert await admission.enter() and await admission.enter()
    first = asyncio.create_task(admission.enter())
    await asyncio.sleep(0)
    clock.now += 0.2  # standing from now on
    second = asyncio.create_task(admission.enter())
    await asyncio.sleep(0)
    assert not first.done() and not second.done()  # two slots, two waiters
    third = asyncio.create_task(admission.enter())
    assert not await first  # the oldest made room
    assert not second.done()
    assert len(admission._waiting) == 2
    admission.exit(0.01)  # a freed slot goes to the newest
    assert await third
    assert not second.done()
    admission.exit(0.01)
    assert await second
    assert admission.active == 2
