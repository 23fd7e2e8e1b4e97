"""Partial results: a failing backend nulls only the fields it feeds, and says so."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from resolvers.global_id import to_global_id
from tests.support.app import Gateway
from tests.support.calls import CallMeter
from tests.support.graphql import execute
from tests.support.process import SpawnBackend
from tests.support.repo import operation

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

ME_AND_A_PLAYLIST = """
query MeAndPlaylist($id: ID!) {
  me { id displayName }
  playlist(id: $id) { name }
}
"""
CREATE = """
mutation Create { createPlaylist(input: {name: "Road trip"}) { playlist { id } } }
"""


def _kinds(body: dict[str, Any]) -> set[str]:
    return {e["node"]["kind"] for e in body["data"]["home"]["sections"]["edges"]}


async def test_home_keeps_the_shelves_of_healthy_backends(
    spawn_backend: SpawnBackend, gateway: Gateway
) -> None:
    # given a playlists backend failing every call
    playlists = spawn_backend("playlists", "--inject-error-rate", "1.0")
    client = await gateway(playlists_url=playlists.url)

    # when the listener opens Home
    body = await execute(client, operation("HomeFeed"))

    # then the personal track and artist shelves are there, the editorial ones are not,
    # and the response says which service's shelves are missing
    assert "errors" not in body, body.get("errors")
    kinds = _kinds(body)
    assert {"RECENTLY_PLAYED", "TOP_ARTISTS", "MADE_FOR_YOU"} <= kinds
    assert not kinds & {"TOP_GENRES", "MOODS"}
    assert body["extensions"]["degraded"] == ["playlists"]
    assert body["data"]["me"]["displayName"]


async def test_a_failing_backend_nulls_only_its_fields_and_reads_are_retried(
    spawn_backend: SpawnBackend, gateway: Gateway
) -> None:
    playlists = spawn_backend("playlists", "--inject-malformed-rate", "1.0")
    client = await gateway(playlists_url=playlists.url)

    with CallMeter() as read:
        body = await execute(client, ME_AND_A_PLAYLIST, {"id": to_global_id("Playlist", 1)})
    assert body["data"]["me"]["id"]
    assert body["data"]["playlist"] is None
    assert [(e["path"], e["extensions"]) for e in body["errors"]] == [
        (["playlist"], {"code": "BACKEND_UNAVAILABLE", "service": "playlists"})
    ]
    # A read is tried three times (CROSSFADE_BACKEND_MAX_ATTEMPTS) ...
    assert read.calls["playlists"] == 3

    # ... a write once: the backend may have applied it before its answer got lost.
    with CallMeter() as write:
        body = await execute(client, CREATE)
    assert body["errors"][0]["extensions"]["service"] == "playlists"
    assert write.calls["playlists"] == 1


async def test_cached_values_are_served_stale_while_their_backend_is_down(
    spawn_backend: SpawnBackend, gateway: Gateway
) -> None:
    # given search answers cached for a moment only (the client layer's cache; the response
    # cache would answer the repeat whole, within its max-age)
    search = spawn_backend("search")
    client = await gateway(search_url=search.url, shared_cache_ttl_s=0.2, response_cache=False)
    fresh = await execute(client, operation("Search"), {"q": "metallica"})
    assert "errors" not in fresh and "stale" not in fresh.get("extensions", {})

    # when the search backend dies and the cached answer expires
    search.kill()
    await asyncio.sleep(0.3)
    stale = await execute(client, operation("Search"), {"q": "metallica"})
    other = await execute(client, operation("Search"), {"q": "beatles"})

    # then the last answer is served, flagged stale; a query never seen still fails
    assert stale["data"] == fresh["data"]
    assert stale["extensions"]["stale"] == ["search"]
    assert other["errors"][0]["extensions"]["code"] == "BACKEND_UNAVAILABLE"
