"""Guests: Home (and `me`) answer without a token; what needs a listener still refuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from resolvers.global_id import to_global_id
from tests.support.repo import operation
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

RECORD_PLAY = "mutation($t: ID!) { recordPlay(input: {trackId: $t}) { track { id } playedAt } }"
CREATE = 'mutation { createPlaylist(input: {name: "guest list"}) { playlist { id } } }'
LIKES_OF = "query($u: ID!) { node(id: $u) { ... on User { likedTracks { totalCount } } } }"


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    user: str | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers=bearer(user) if user else {},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_a_guest_gets_the_home_feed_with_me_null_and_no_error(
    client: httpx.AsyncClient,
) -> None:
    # when a guest runs the stakeholders' HomeFeed operation verbatim
    body = await post(client, operation("HomeFeed"))
    # then it answers, with no error at all (in particular no UNAUTHENTICATED for `me`)
    assert "errors" not in body, body["errors"]
    assert body["data"]["me"] is None
    home = body["data"]["home"]
    assert home["greeting"] in {"Good morning", "Good afternoon", "Good evening", "Good night"}
    shelves = [e["node"] for e in home["sections"]["edges"]]
    assert shelves and all(s["items"]["edges"] for s in shelves)
    assert not {s["kind"] for s in shelves} & {"RECENTLY_PLAYED", "MADE_FOR_YOU"}


async def test_me_is_null_for_a_guest_without_an_error(client: httpx.AsyncClient) -> None:
    body = await post(client, "{ me { id } }")
    assert body["data"] == {"me": None}
    assert "errors" not in body, body["errors"]


async def test_me_is_the_listener_with_a_token(client: httpx.AsyncClient, listener: str) -> None:
    body = await post(client, "{ me { handle } }", user=listener)
    assert "errors" not in body, body["errors"]
    assert body["data"] == {"me": {"handle": listener}}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (RECORD_PLAY, {"t": to_global_id("Track", 1)}),
        # a guest learns nothing about the catalog from a mutation either
        (RECORD_PLAY, {"t": to_global_id("Track", 987_654_321)}),
        (CREATE, {}),
    ],
    ids=["recordPlay", "recordPlay(missing track)", "createPlaylist"],
)
async def test_a_guest_mutation_is_still_unauthenticated(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    body = await post(client, query, variables)
    (field,) = body["data"]
    assert body["data"][field] is None
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_a_guest_still_cannot_read_a_listeners_likes(
    client: httpx.AsyncClient, listener: str
) -> None:
    user_id = to_global_id("User", int(listener.removeprefix("user-")))
    body = await post(client, LIKES_OF, {"u": user_id})
    assert codes(body) == ["UNAUTHENTICATED"]
    assert body["data"]["node"] is None
