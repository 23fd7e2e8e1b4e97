"""Catalog entities read through the request's entity map keep their stale copies: while the
catalog is down, what was read before is served (flagged), what never was is an error."""

from __future__ import annotations

import asyncio

import pytest

from resolvers.global_id import to_global_id
from tests.support.app import Gateway
from tests.support.graphql import execute
from tests.support.process import SpawnBackend
from tests.support.repo import operation

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


async def test_a_playlist_page_is_served_stale_while_the_catalog_is_down(
    spawn_backend: SpawnBackend, gateway: Gateway
) -> None:
    # given a page read once, with catalog entities cached for a moment only (the response
    # cache would answer the repeat whole, within its max-age: not what this is about)
    catalog = spawn_backend("catalog")
    client = await gateway(catalog_url=catalog.url, entity_cache_ttl_s=0.2, response_cache=False)
    page = {"id": to_global_id("Playlist", 1)}
    fresh = await execute(client, operation("Playlist"), page, user=None)
    assert "errors" not in fresh and "stale" not in fresh.get("extensions", {})

    # when the catalog dies and the cached entities expire
    catalog.kill()
    await asyncio.sleep(0.3)
    stale = await execute(client, operation("Playlist"), page, user=None)
    never_read = await execute(
        client, operation("Node"), {"id": to_global_id("Track", 5000)}, user=None
    )

    # then the page is whole, from the stale copies, and says so; a track never read fails
    assert stale["data"] == fresh["data"]
    assert stale["extensions"]["stale"] == ["catalog"]
    assert never_read["data"] == {"node": None}
    assert never_read["errors"][0]["extensions"] == {
        "code": "BACKEND_UNAVAILABLE",
        "service": "catalog",
    }


SHELF = (
    "query Shelf($ids: [ID!]!) { nodes(ids: $ids) { id "
    "... on Playlist { tracks(first: 3) { edges { node { name } } } } } }"
)


async def test_a_level_of_playlists_fails_only_those_whose_tracks_could_not_be_read(
    spawn_backend: SpawnBackend, gateway: Gateway
) -> None:
    # given one playlist's tracks read while the catalog was up, through either engine (every
    # request executed: no response cache)
    catalog = spawn_backend("catalog")
    engines = [
        await gateway(catalog_url=catalog.url, executor=e, response_cache=False)
        for e in ("compiled", "standard")
    ]
    read, never_read = to_global_id("Playlist", 1), to_global_id("Playlist", 2)
    before = [await execute(client, SHELF, {"ids": [read]}, user=None) for client in engines]
    assert all("errors" not in body for body in before)

    # when the catalog dies and one level holds that playlist and one never read (the
    # compiled engine loads both playlists' tracks in one batch, graphql-core one by one)
    catalog.kill()
    compiled, standard = [
        await execute(client, SHELF, {"ids": [read, never_read]}, user=None) for client in engines
    ]

    # then the batch's failure stays with the playlist it was for, as with one by one
    assert compiled == standard
    assert compiled["data"]["nodes"] == [before[0]["data"]["nodes"][0], None]
    assert [e["path"] for e in compiled["errors"]] == [["nodes", 1, "tracks"]]
