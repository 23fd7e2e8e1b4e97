"""Timeouts and the request deadline: a slow backend costs its fields, not the request."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.config import Settings
from gateway.services import call_policy
from resolvers.clients.base import DEADLINE_HEADER, BackendClient
from resolvers.clients.errors import BackendTimeout
from resolvers.clients.scope import call_scope
from tests.support.app import Gateway, asgi_client
from tests.support.calls import CallMeter
from tests.support.graphql import execute
from tests.support.process import SpawnBackend
from tests.support.repo import operation

pytestmark = pytest.mark.anyio


def _echo_budget() -> httpx.AsyncClient:
    """A real ASGI app answering with the deadline header it received."""

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"budget_ms": request.headers.get(DEADLINE_HEADER)})

    return asgi_client(Starlette(routes=[Route("/echo", echo)]), base_url="http://echo")


async def test_each_call_sends_what_is_left_of_the_request_deadline() -> None:
    async with _echo_budget() as http:
        policy = call_policy(Settings(backend_timeout_s=2.0), "search")
        client = BackendClient("echo", http, policy)
        outside = await client.get("/echo")
        with call_scope(0.5):
            inside = await client.get("/echo")
    # Outside a request: the backend's own timeout; inside: the smaller remaining deadline.
    assert outside == {"budget_ms": "2000"}
    assert 0 < int(inside["budget_ms"]) <= 500


async def test_a_spent_deadline_fails_without_calling_the_backend() -> None:
    async with _echo_budget() as http:
        client = BackendClient("echo", http, call_policy(Settings(), "search"))
        with call_scope(0.0), CallMeter() as meter, pytest.raises(BackendTimeout) as raised:
            await client.get("/echo")
    assert raised.value.extensions == {"code": "BACKEND_TIMEOUT", "service": "echo"}
    assert meter.total == 0


def _only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body["errors"]) == 1, body["errors"]
    error: dict[str, Any] = body["errors"][0]
    return error


@pytest.mark.slow
async def test_a_slow_backend_times_out_well_before_it_answers(
    spawn_backend: SpawnBackend, gateway: Gateway
) -> None:
    # given a search backend that takes 5 s per call, and a 0.5 s search timeout
    slow = spawn_backend("search", "--inject-latency-ms", "5000")
    client = await gateway(search_url=slow.url, backend_timeouts={"search": 0.5})

    # when
    started = time.monotonic()
    with CallMeter() as meter:
        body = await execute(client, operation("Search"), {"q": "metallica"})
    elapsed = time.monotonic() - started

    # then the search field fails with a timeout naming the service, once (no retry)
    error = _only_error(body)
    assert error["path"] == ["search"]
    assert error["extensions"] == {"code": "BACKEND_TIMEOUT", "service": "search"}
    assert meter.calls["search"] == 1
    assert elapsed < 3.0  # behaviour bound, not a speed figure: the backend answers at 5 s

    # and the request deadline caps a backend timeout longer than what is left
    client = await gateway(
        search_url=slow.url, backend_timeouts={"search": 30}, request_deadline_s=0.4
    )
    started = time.monotonic()
    body = await execute(client, operation("Search"), {"q": "metallica"})
    assert _only_error(body)["extensions"]["code"] == "BACKEND_TIMEOUT"
    assert time.monotonic() - started < 3.0
