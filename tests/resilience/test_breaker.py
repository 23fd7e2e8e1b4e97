"""Circuit breakers: a dead backend fails fast, without network, and recovers on its own."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from resolvers.clients.breaker import CircuitBreaker, CircuitState
from tests.support.app import Gateway
from tests.support.calls import CallMeter
from tests.support.graphql import Body, execute
from tests.support.process import SpawnBackend
from tests.support.repo import operation


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def state(breaker: CircuitBreaker) -> CircuitState:
    # A function call: mypy would otherwise narrow `breaker.state` across the calls below.
    return breaker.state


def _breaker(clock: Clock, failures: int = 3) -> CircuitBreaker:
    return CircuitBreaker("test", failure_threshold=failures, reset_s=5.0, clock=clock)


def test_consecutive_failures_open_the_breaker() -> None:
    breaker = _breaker(Clock())
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert state(breaker) is CircuitState.CLOSED
    breaker.record_failure()
    assert state(breaker) is CircuitState.OPEN
    assert not breaker.allow()


def test_a_success_resets_the_count_of_failures() -> None:
    breaker = _breaker(Clock())
    for _ in range(5):
        breaker.record_failure()
        breaker.record_failure()
        breaker.record_success()
    assert state(breaker) is CircuitState.CLOSED


def test_half_open_lets_one_probe_through_and_its_success_closes() -> None:
    clock = Clock()
    breaker = _breaker(clock, failures=1)
    breaker.record_failure()
    clock.now += 4.9
    assert not breaker.allow()
    assert breaker.retry_in() == pytest.approx(0.1)
    clock.now += 0.1
    assert state(breaker) is CircuitState.HALF_OPEN
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # everyone else waits for its verdict
    breaker.record_success()
    assert state(breaker) is CircuitState.CLOSED
    assert breaker.allow()


def test_a_failed_probe_opens_the_breaker_for_another_period() -> None:
    clock = Clock()
    breaker = _breaker(clock, failures=3)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.record_failure()
    assert state(breaker) is CircuitState.OPEN
    clock.now += 4
    assert not breaker.allow()


def test_a_cancelled_probe_frees_its_slot() -> None:
    clock = Clock()
    breaker = _breaker(clock, failures=1)
    breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.release()
    assert state(breaker) is CircuitState.HALF_OPEN
    assert breaker.allow()


def _circuit_gauge(metrics: str, backend: str) -> float:
    prefix = f'crossfade_backend_circuit_state{{backend="{backend}"}} '
    line = next(line for line in metrics.splitlines() if line.startswith(prefix))
    return float(line.removeprefix(prefix))


_QUERIES = iter(range(10_000))


async def _search(client: httpx.AsyncClient) -> Body:
    # A new query each time: a cached answer would hide the backend's state.
    return await execute(client, operation("Search"), {"q": f"love {next(_QUERIES)}"})


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_killed_backend_fails_fast_and_the_gateway_recovers_when_it_returns(
    spawn_backend: SpawnBackend, gateway: Gateway
) -> None:
    # given a search backend process behind a breaker that opens after 3 failed calls
    search = spawn_backend("search")
    client = await gateway(search_url=search.url, breaker_failures=3, breaker_reset_s=1.0)
    assert "errors" not in await _search(client)

    # when the process is SIGKILLed
    search.kill()
    started = time.monotonic()
    body = await _search(client)
    refused_s = time.monotonic() - started

    # then the call fails as unavailable (refused connections, retried then given up)
    error = body["errors"][0]
    assert error["path"] == ["search"]
    assert error["extensions"] == {"code": "BACKEND_UNAVAILABLE", "service": "search"}
    assert refused_s < 2.0

    # and the breaker is open: no network at all, an answer in milliseconds
    with CallMeter() as meter:
        started = time.monotonic()
        body = await _search(client)
        open_s = time.monotonic() - started
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BACKEND_UNAVAILABLE", "service": "search"}
    assert "circuit open" in error["message"]
    assert meter.calls["search"] == 0
    assert open_s < 0.5
    assert _circuit_gauge((await client.get("/metrics")).text, "search") == 1
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["backends"]["search"]["circuit"] == "open"

    # when the backend comes back on the same port, a half-open probe closes the breaker
    search.start()
    for _ in range(40):
        body = await _search(client)
        if "errors" not in body:
            break
        await asyncio.sleep(0.1)
    assert "errors" not in body
    assert _circuit_gauge((await client.get("/metrics")).text, "search") == 0
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["backends"]["search"]["circuit"] == "closed"
