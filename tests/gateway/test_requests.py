"""HTTP-level behaviour: auth, bad input refused with codes, health, metrics."""

from __future__ import annotations

import httpx
import pytest

from tests.support.graphql import execute
from tests.support.repo import operation
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio


async def test_forged_token_is_401_with_a_graphql_error(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"authorization": "Bearer not.a.jwt"}
    )
    assert r.status_code == 401
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_guest_asking_for_me_gets_null(client: httpx.AsyncClient) -> None:
    body = await execute(client, "{ me { id } }", user=None)
    assert body["data"]["me"] is None
    assert "errors" not in body


async def test_page_size_above_the_maximum_is_bad_user_input(client: httpx.AsyncClient) -> None:
    body = await execute(client, operation("Library"), {"first": 1000})
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"BAD_USER_INPUT"}


async def test_invalid_global_id_is_bad_user_input(client: httpx.AsyncClient) -> None:
    body = await execute(client, operation("Node"), {"id": "definitely-not-base64!"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_someone_elses_private_playlist_looks_missing(client: httpx.AsyncClient) -> None:
    body = await execute(
        client,
        operation("PlaylistEdits"),
        {"name": "secret", "public": False},
        operation_name="CreatePlaylist",
    )
    pid = body["data"]["createPlaylist"]["playlist"]["id"]
    other = await execute(client, operation("Playlist"), {"id": pid}, user="user-2")
    assert other["data"]["playlist"] is None and "errors" not in other


async def test_non_json_body_is_400_json(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/graphql",
        content=b"{nope",
        headers={"content-type": "application/json", **bearer("user-1")},
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"]


async def test_health_readiness_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["backends"]) == {"catalog", "library", "playlists", "search"}
    await execute(client, operation("Search"), {"q": "metallica"}, operation_name="Search")
    text = (await client.get("/metrics")).text
    assert 'crossfade_backend_requests_total{backend="search"' in text
    assert 'crossfade_graphql_request_seconds_count{operation="Search"}' in text
    assert "crossfade_cache_hits_total" in text or "crossfade_cache_misses_total" in text


async def test_query_depth_and_alias_limits_refuse_before_execution(
    client: httpx.AsyncClient,
) -> None:
    deep = "{ home { sections { edges { node { items { edges { node { ... on Playlist { owner {"
    deep += (
        " playlists { edges { node { owner { playlists { totalCount } } } } } } } } } } } } } } }"
    )
    body = await execute(client, deep)
    assert (
        body["data"] is None and "exceeds maximum operation depth" in body["errors"][0]["message"]
    )
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"
    body = await execute(client, aliases)
    assert body["data"] is None and "aliases" in body["errors"][0]["message"]
