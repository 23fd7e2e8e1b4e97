"""How many backend calls each stakeholder operation costs, endpoint by endpoint.

A gateway that has just started (its start-up warmed the shared caches: charts, genres,
editorial playlists, the most popular tracks) serves a listener it has never seen: Home is
their profile and one catalog read for whatever the warm caches miss.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest

from resolvers.global_id import to_global_id
from tests.support.calls import CallMeter
from tests.support.graphql import execute
from tests.support.repo import operation

pytestmark = pytest.mark.anyio

PROFILE = "library GET /profile"
ENTITIES = "catalog GET /entities"


@asynccontextmanager
async def started_gateway(settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway app after its real start-up (model loaded, shared caches warmed)."""
    from gateway.app import create_app

    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        ) as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client


@pytest.fixture
async def started(gateway_settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with started_gateway(gateway_settings) as client:
        yield client


@contextmanager
def endpoint_calls(client: httpx.AsyncClient) -> Iterator[Counter[str]]:
    """``"backend METHOD /path"`` → requests the gateway sent while the block ran."""
    calls: Counter[str] = Counter()
    hooks = []
    for name, http in client.app.state.http_clients.items():  # type: ignore[attr-defined]

        async def hook(request: httpx.Request, name: str = name) -> None:
            calls[f"{name} {request.method} {request.url.path}"] += 1

        http.event_hooks["request"].append(hook)
        hooks.append((http, hook))
    try:
        yield calls
    finally:
        for http, hook in hooks:
            http.event_hooks["request"].remove(hook)


async def test_a_new_listeners_home_is_their_profile_and_one_catalog_read(
    started: httpx.AsyncClient,
) -> None:
    # given a gateway just started, and a listener it has never served
    # when they open Home
    with CallMeter() as meter, endpoint_calls(started) as calls:
        body = await execute(started, operation("HomeFeed"), user="user-11")

    # then Home is whole, from one profile read and at most one catalog read
    assert "errors" not in body, body.get("errors")
    assert len(body["data"]["home"]["sections"]["edges"]) == 8
    assert calls[PROFILE] == 1
    assert set(calls) <= {PROFILE, ENTITIES} and calls[ENTITIES] <= 1
    assert meter.total == sum(calls.values()) <= 2


async def test_a_cold_gateway_serves_a_new_listeners_home_in_six_calls(
    client: httpx.AsyncClient,
) -> None:
    # given a gateway whose caches are all empty (no start-up warming)
    # when a listener opens Home
    with CallMeter() as meter, endpoint_calls(client) as calls:
        body = await execute(client, operation("HomeFeed"), user="user-12")

    # then the shared values cost one call each, the listener's own two
    assert "errors" not in body, body.get("errors")
    assert calls == {
        PROFILE: 1,
        "catalog GET /charts": 1,
        "catalog GET /genres": 1,
        "playlists GET /editorial": 1,
        ENTITIES: 2,  # the charts' tracks, and the listener's: two ticks apart
    }
    assert meter.total == 6


async def test_a_second_home_reads_only_the_profile_and_recomputes_nothing(
    gateway_settings: Any,
) -> None:
    # Executed again: the response cache (tests/cache) would answer the repeat with no call.
    settings = gateway_settings.model_copy(update={"response_cache": False})
    async with started_gateway(settings) as started:
        first = await execute(started, operation("HomeFeed"), user="user-13")
        misses = _viewer_cache_misses()
        with endpoint_calls(started) as calls:
            again = await execute(started, operation("HomeFeed"), user="user-13")
    assert again == first
    # one call: the profile, to see whether the history moved (its counts do not travel)
    assert calls == {PROFILE: 1}
    # and the day's picks, mixes and Discover Weekly all came from the per-listener cache
    assert _viewer_cache_misses() == misses


async def test_made_for_you_is_the_profile_and_one_catalog_read(
    started: httpx.AsyncClient,
) -> None:
    with endpoint_calls(started) as calls:
        body = await execute(started, operation("MadeForYou"), user="user-14")
    assert "errors" not in body, body.get("errors")
    me = body["data"]["me"]
    assert len(me["discoverWeekly"]["tracks"]["edges"]) == 30
    assert all(m["tracks"]["edges"] for m in me["dailyMixes"])
    # Discover Weekly and every mix's tracks, with their artists, in one read
    assert calls[PROFILE] == 1 and calls[ENTITIES] <= 1
    assert set(calls) <= {PROFILE, ENTITIES}


async def test_search_is_the_search_the_profile_and_one_catalog_read(
    started: httpx.AsyncClient,
) -> None:
    with endpoint_calls(started) as calls:
        body = await execute(started, operation("Search"), {"q": "party"}, user="user-15")
    assert "errors" not in body, body.get("errors")
    result = body["data"]["search"]
    assert result["tracks"]["edges"] and result["artists"]["edges"]
    assert result["albums"]["edges"] and result["playlists"]["edges"]
    # hits of every kind hydrated in one catalog read; the playlists' headers and owners
    # in one read each
    assert calls["search GET /search"] == 1 and calls[PROFILE] == 1
    assert calls[ENTITIES] <= 1
    assert calls["playlists GET /playlists"] == 1
    assert calls["library GET /users"] <= 1
    assert sum(calls.values()) <= 5


async def test_library_and_a_playlist_page_cost_a_read_per_list(
    started: httpx.AsyncClient, listener: str
) -> None:
    with endpoint_calls(started) as library_calls:
        library = await execute(started, operation("Library"), user=listener)
    assert "errors" not in library, library.get("errors")
    # the profile (me), each list, the playlists' headers, and the liked tracks unless the
    # warm caches hold them all; the playlists' track counts need no call
    assert library_calls[ENTITIES] <= 1
    assert +library_calls - Counter({ENTITIES: 1}) == {
        PROFILE: 1,
        "library GET /playlists": 1,
        "playlists GET /playlists": 1,
        "library GET /likes": 1,
    }

    pid = library["data"]["me"]["playlists"]["edges"][0]["node"]["id"]
    with endpoint_calls(started) as page_calls:
        page = await execute(started, operation("Playlist"), {"id": pid}, user=listener)
    assert "errors" not in page, page.get("errors")
    assert page["data"]["playlist"]["tracks"]["edges"]
    # header, page, the tracks with their albums and artists; the owner was just read
    assert page_calls["playlists GET /playlists"] == 1
    assert page_calls["playlists GET /playlists/tracks"] == 1
    assert page_calls[ENTITIES] <= 1
    assert set(page_calls) <= {
        "playlists GET /playlists",
        "playlists GET /playlists/tracks",
        ENTITIES,
    }


async def test_an_editorial_playlist_page_for_a_guest(started: httpx.AsyncClient) -> None:
    with endpoint_calls(started) as calls:
        page = await execute(
            started, operation("Playlist"), {"id": to_global_id("Playlist", 1)}, user=None
        )
    assert "errors" not in page, page.get("errors")
    assert len(page["data"]["playlist"]["tracks"]["edges"]) >= 50
    assert calls["playlists GET /playlists"] == 1
    assert calls["playlists GET /playlists/tracks"] == 1
    assert set(calls) <= {"playlists GET /playlists", "playlists GET /playlists/tracks", ENTITIES}


def _viewer_cache_misses() -> float:
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value("crossfade_cache_misses_total", {"cache": "viewer"})
    return value or 0.0
