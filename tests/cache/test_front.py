"""The cache front (gateway/cache/front.py) answers hits ahead of the middleware stack: it
must answer exactly as the stack does, for every kind of request, and skip the stack only on
the hits it can judge alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest

from gateway.middleware.authentication import AuthMiddleware
from resolvers.global_id import to_global_id
from tests.cache.conftest import body
from tests.support.app import Gateway, GatewayClient
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

# What differs between two answers to the same request by design: when, and the new ID.
_VARYING = {"date", "age", "x-request-id"}
Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def post(name: str, variables: dict[str, Any] | None = None, /, **headers: str) -> Send:
    content = orjson.dumps(body(name, variables))

    async def send(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(
            "/graphql",
            content=content,
            headers={"content-type": "application/json", **headers},
        )

    return send


def raw(content: bytes, /, **headers: str) -> Send:
    async def send(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/graphql", content=content, headers=headers)

    return send


def get(name: str, variables: dict[str, Any], /, **headers: str) -> Send:
    params = {"query": body(name)["query"], "variables": orjson.dumps(variables).decode()}

    async def send(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get("/graphql", params=params, headers=headers)

    return send


JSON = {"content-type": "application/json"}
PLAIN = {"content-type": "text/plain"}
TWO_OPERATIONS = {"query": "query A { me { id } } query B { me { id } }", "variables": {}}


def requests() -> list[tuple[str, Send]]:
    user1, user2 = bearer("user-1"), bearer("user-2")
    playlist = {"id": to_global_id("Playlist", 1)}
    return [
        ("home user-1", post("HomeFeed", **user1)),
        ("home user-2", post("HomeFeed", **user2)),
        ("home guest", post("HomeFeed")),
        ("mixes", post("MadeForYou", **user1)),
        ("library", post("Library", **user1)),
        ("search guest", post("Search", {"q": "love"})),
        ("search user-2", post("Search", {"q": "love"}, **user2)),
        ("playlist", post("Playlist", playlist, **user1)),
        ("node", post("Node", {"id": to_global_id("Track", 3)})),
        ("get search", get("Search", {"q": "night"})),
        ("get search user-1", get("Search", {"q": "night"}, **user1)),
        ("caller's request id", post("HomeFeed", **user1, **{"x-request-id": "app-42"})),
        ("insane request id", post("HomeFeed", **user1, **{"x-request-id": "a b"})),
        ("browser origin", post("Search", {"q": "love"}, origin="http://localhost:5173")),
        ("unknown origin", post("Search", {"q": "love"}, origin="https://evil.example")),
        ("bad token", post("HomeFeed", authorization="Bearer not-a-jwt")),
        ("not bearer", post("HomeFeed", authorization="Basic dXNlcjpwYXNz")),
        ("form body", raw(orjson.dumps(body("Search", {"q": "love"})), **PLAIN)),
        ("not json", raw(b"{nope", **JSON)),
        ("two operations", raw(orjson.dumps(TWO_OPERATIONS), **JSON)),
        ("mutation", post("PlaylistEdits", **user1)),
        ("too big", raw(b" " * 2_000_000, **JSON)),
    ]


def comparable(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in _VARYING]
    return response.status_code, headers, response.content


class _AuthCalls:
    """How many requests reached the stack's authentication layer."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = AuthMiddleware.__call__

        async def counting(layer: AuthMiddleware, *args: Any) -> None:
            self.count += 1
            await real(layer, *args)

        monkeypatch.setattr(AuthMiddleware, "__call__", counting)


async def test_the_front_answers_every_request_as_the_stack_does(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _AuthCalls(monkeypatch)
    front, stack = await gateway(), await gateway(response_cache_front=False)
    skipped = 0
    # Each request three times: a miss, then hits (from the front where it can).
    for label, send in requests() * 3:
        before = calls.count
        ours = await send(front)
        mid = calls.count
        theirs = await send(stack)
        skipped += (calls.count - mid) - (mid - before)
        assert comparable(ours) == comparable(theirs), label
        if "x-request-id" in theirs.headers:
            assert "x-request-id" in ours.headers, label
    # The repeats the front answered alone: 11 cacheable requests without Origin or a token
    # to verify, twice each, and the two with request IDs (hits of "home user-1") three times.
    assert skipped == 11 * 2 + 2 * 3
    caller = await post("HomeFeed", **bearer("user-1"), **{"x-request-id": "app-42"})(front)
    assert caller.headers["x-request-id"] == "app-42"


async def _repeats(client: GatewayClient, calls: _AuthCalls, send: Send, times: int) -> int:
    await send(client)  # the miss: verifies the token, keeps the answer
    before = calls.count
    for _ in range(times):
        answer = await send(client)
        assert answer.status_code == 200 and answer.headers["x-cache"] == "hit"
    return calls.count - before


async def test_repeats_of_remembered_tokens_never_reach_the_stack(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _AuthCalls(monkeypatch)
    front, stack = await gateway(), await gateway(response_cache_front=False)
    home = post("HomeFeed", **bearer("user-3"))
    guest = get("Search", {"q": "rain"})
    assert await _repeats(front, calls, home, 5) == 0
    assert await _repeats(front, calls, guest, 5) == 0
    assert await _repeats(stack, calls, home, 5) == 5
    # A browser's cross-origin repeat is a hit too, answered by the stack's CORS layer.
    browser = post("Search", {"q": "rain"}, origin="http://localhost:5173")
    assert await _repeats(front, calls, browser, 3) == 3


async def test_a_rate_limited_hit_is_refused_by_the_front_as_by_the_stack(
    gateway: Gateway,
) -> None:
    limits = {"rate_limit_listener_rps": 0.001, "rate_limit_listener_burst": 3}
    front = await gateway(**limits)
    stack = await gateway(response_cache_front=False, **limits)
    send = post("Library", **bearer("user-4"))
    ours = [comparable(await send(front)) for _ in range(5)]
    theirs = [comparable(await send(stack)) for _ in range(5)]
    assert [status for status, _, _ in ours] == [200, 200, 200, 429, 429]
    # Retry-After counts down from when each gateway's bucket filled: equal to the second.
    assert ours == theirs
