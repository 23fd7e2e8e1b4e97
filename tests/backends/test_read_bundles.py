"""The reads that answer in one call what a screen needs: a listener's profile, catalog
entities with what they point at, and the editorial playlists with their headers."""

from __future__ import annotations

import pytest

from tests.backends.test_services import Client, client, settings  # noqa: F401  (fixtures)

pytestmark = pytest.mark.anyio

ANA = {
    "id": 1,
    "display_name": "Ana",
    "country": "ES",
    "timezone": "Europe/Madrid",
    "explicit_filter": False,
    "simulated": True,
}


async def test_a_profile_is_the_user_their_latest_plays_and_their_history(
    client: Client,  # noqa: F811
) -> None:
    async with client("library") as http:
        response = await http.get("/profile", params={"user_id": "1", "recent": "2"})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "user": ANA,
        "recent": [
            {"track_id": 6, "played_at": 4_000, "ms_played": 50_000},
            {"track_id": 2, "played_at": 3_000, "ms_played": 100_000},
        ],
        "history": {"version": body["history"]["version"], "counts": {"1": 2, "2": 1, "6": 1}},
    }


async def test_the_counts_travel_only_when_the_history_moved(
    client: Client,  # noqa: F811
) -> None:
    async with client("library") as http:
        first = (await http.get("/profile", params={"user_id": "1"})).json()["history"]
        # a caller holding the current version gets no counts
        same = await http.get("/profile", params={"user_id": "1", "since": first["version"]})
        assert same.json()["history"] == {"version": first["version"], "counts": None}
        # a play moves the version, and the counts come again
        played = await http.post("/plays", json={"user_id": 1, "track_id": 1})
        assert played.status_code == 201
        moved = await http.get("/profile", params={"user_id": "1", "since": first["version"]})
    history = moved.json()["history"]
    assert history["version"] != first["version"]
    assert history["counts"] == {"1": 3, "2": 1, "6": 1}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"user_id": "99"}, 404),
        ({"user_id": "x"}, 400),
        ({}, 400),
        ({"user_id": "1", "recent": "-1"}, 400),
        ({"user_id": "1", "recent": "501"}, 400),
    ],
)
async def test_bad_profile_reads_are_refused(
    client: Client,  # noqa: F811
    params: dict[str, str],
    status: int,
) -> None:
    async with client("library") as http:
        response = await http.get("/profile", params=params)
    assert response.status_code == status
    assert response.json()["error"]["code"] == {400: "BAD_REQUEST", 404: "NOT_FOUND"}[status]


async def test_entities_bring_what_they_point_at(client: Client) -> None:  # noqa: F811
    async with client("catalog") as http:
        response = await http.get(
            "/entities", params={"track_ids": "8,99", "album_ids": "4", "artist_ids": "5"}
        )
    assert response.status_code == 200
    body = response.json()
    # Daytona (track 8) is by Ghostface Killah and Beyoncé, on Ironman (album 5, Ghostface);
    # Lemonade (album 4) is Beyoncé's; track 99 does not exist
    assert [t["id"] for t in body["tracks"]] == [8]
    assert body["tracks"][0]["artist_ids"] == [3, 4]
    assert [a["id"] for a in body["albums"]] == [4, 5]
    assert sorted(a["id"] for a in body["artists"]) == [3, 4, 5]
    assert {a["id"]: a["name"] for a in body["artists"]}[4] == "Beyoncé"


async def test_entities_of_nothing_are_empty(client: Client) -> None:  # noqa: F811
    async with client("catalog") as http:
        response = await http.get("/entities")
    assert response.json() == {"tracks": [], "albums": [], "artists": []}


@pytest.mark.parametrize(
    "params",
    [{"track_ids": "1,x"}, {"album_ids": "-3"}, {"artist_ids": ",".join(["1"] * 501)}],
)
async def test_bad_entity_reads_are_refused(
    client: Client,  # noqa: F811
    params: dict[str, str],
) -> None:
    async with client("catalog") as http:
        response = await http.get("/entities", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


async def test_editorial_playlists_with_their_headers(client: Client) -> None:  # noqa: F811
    async with client("playlists") as http:
        plain = (await http.get("/editorial")).json()
        expanded = (await http.get("/editorial", params={"expand": "playlists"})).json()
    assert plain == {"playlist_ids": [3, 4]}
    assert expanded["playlist_ids"] == [3, 4]
    assert [(p["id"], p["name"], p["owner_id"], p["kind"]) for p in expanded["playlists"]] == [
        (3, "Top Hits", None, "editorial"),
        (4, "Metal Essentials", None, "editorial"),
    ]
