"""The catalog, library and playlists backends against the fixture store."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from backends.app import create_app
from backends.names import BACKENDS
from backends.services.catalog import fetch_tracks
from backends.services.playlists import snapshot_id
from backends.settings import BackendSettings
from backends.store import connect
from tests.support.app import backend_client

pytestmark = pytest.mark.anyio

Client = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def settings(fixture_dir: Path) -> BackendSettings:
    return BackendSettings(data_dir=fixture_dir)


@pytest.fixture
def client(settings: BackendSettings) -> Client:
    """``async with client("catalog") as http``: that backend's app over the hand-made store."""

    def open_client(name: str) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return backend_client(name, settings)

    return open_client


def rows(settings: BackendSettings, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(settings.db_path)
    try:
        return [tuple(row) for row in conn.execute(sql)]
    finally:
        conn.close()


# --- every service -------------------------------------------------------------------------


@pytest.mark.parametrize("name", BACKENDS)
async def test_healthz_names_the_service(client: Client, name: str) -> None:
    async with client(name) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": name}


async def test_unknown_route_answers_the_error_shape(client: Client) -> None:
    async with client("catalog") as http:
        response = await http.get("/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_unknown_service_is_refused(settings: BackendSettings) -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        create_app("billing", settings)


# --- catalog ---------------------------------------------------------------------------------


async def test_tracks_answer_in_key_order_with_null_for_missing(client: Client) -> None:
    async with client("catalog") as http:
        response = await http.get("/tracks", params={"ids": "8,999,1,8"})
    assert response.status_code == 200
    tracks = response.json()["tracks"]
    assert [t and t["id"] for t in tracks] == [8, None, 1, 8]
    assert tracks[2] == {
        "id": 1,
        "name": "Master Of Puppets",
        "album_id": 1,
        "artist_ids": [1],
        "genre": "metal",
        "genres": ["metal", "rock"],
        "duration_ms": 200_001,
        "explicit": False,
        "popularity": 85,
        "features": {
            "danceability": 0.5,
            "energy": 0.8,
            "key": 4,
            "loudness": -6.5,
            "mode": 1,
            "speechiness": 0.05,
            "acousticness": 0.1,
            "instrumentalness": 0.0,
            "liveness": 0.2,
            "valence": 0.4,
            "tempo": 120.0,
            "time_signature": 4,
        },
    }
    assert tracks[0]["artist_ids"] == [3, 4]
    assert tracks[0]["explicit"] is True


def test_a_batch_of_tracks_costs_three_queries(settings: BackendSettings) -> None:
    conn = connect(settings.db_path, read_only=True)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        tracks = fetch_tracks(conn, list(range(1, 101)))
    finally:
        conn.close()
    assert sum(t is not None for t in tracks) == 9
    assert len(statements) == 3


@pytest.mark.parametrize(
    "ids", ["a", "1,,2", "-1", "1.5", "1;2", "99999999999999999999", ",".join(["1"] * 501)]
)
async def test_bad_ids_are_a_bad_request(client: Client, ids: str) -> None:
    async with client("catalog") as http:
        response = await http.get("/tracks", params={"ids": ids})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


async def test_missing_ids_parameter_is_a_bad_request(client: Client) -> None:
    async with client("catalog") as http:
        response = await http.get("/artists")
    assert response.status_code == 400


async def test_artists(client: Client) -> None:
    async with client("catalog") as http:
        response = await http.get("/artists", params={"ids": "4,1,42"})
    assert response.json() == {
        "artists": [
            {"id": 4, "name": "Beyoncé", "popularity": 88, "genres": ["pop"], "track_count": 3},
            {
                "id": 1,
                "name": "Metallica",
                "popularity": 85,
                "genres": ["metal", "rock"],
                "track_count": 3,
            },
            None,
        ]
    }


async def test_albums(client: Client) -> None:
    async with client("catalog") as http:
        response = await http.get("/albums", params={"ids": "1,42,5"})
    assert response.json() == {
        "albums": [
            {
                "id": 1,
                "name": "Master Of Puppets",
                "artist_ids": [1],
                "popularity": 85,
                "track_ids": [1, 2],
            },
            None,
            {"id": 5, "name": "Ironman", "artist_ids": [3], "popularity": 50, "track_ids": [8]},
        ]
    }


async def test_top_tracks_by_popularity(client: Client) -> None:
    async with client("catalog") as http:
        response = await http.get("/artists/top-tracks", params={"ids": "1,42,4", "limit": "2"})
    assert response.json() == {"top_tracks": [[1, 3], [], [6, 7]]}


async def test_top_tracks_limit_is_bounded(client: Client) -> None:
    async with client("catalog") as http:
        response = await http.get("/artists/top-tracks", params={"ids": "1", "limit": "0"})
    assert response.status_code == 400


async def test_charts_overall_and_per_genre(client: Client) -> None:
    async with client("catalog") as http:
        overall = await http.get("/charts", params={"limit": "3"})
        metal = await http.get("/charts", params={"genre": "metal"})
        unknown = await http.get("/charts", params={"genre": "polka"})
    assert overall.json() == {"track_ids": [6, 1, 7]}
    assert metal.json() == {"track_ids": [1, 3, 2, 4, 5]}
    assert unknown.json() == {"track_ids": []}


async def test_genres(client: Client) -> None:
    async with client("catalog") as http:
        response = await http.get("/genres")
    assert response.json() == {
        "genres": [
            {"id": 1, "name": "metal", "track_count": 5},
            {"id": 2, "name": "rock", "track_count": 2},
            {"id": 3, "name": "pop", "track_count": 3},
            {"id": 4, "name": "latin", "track_count": 1},
        ]
    }


# --- library ---------------------------------------------------------------------------------


async def test_users(client: Client) -> None:
    async with client("library") as http:
        response = await http.get("/users", params={"ids": "2,9"})
    assert response.json() == {
        "users": [
            {
                "id": 2,
                "display_name": "Ben",
                "country": "US",
                "timezone": "America/New_York",
                "explicit_filter": True,
                "simulated": True,
            },
            None,
        ]
    }


async def test_recent_plays_newest_first(client: Client) -> None:
    async with client("library") as http:
        response = await http.get("/plays/recent", params={"user_id": "1", "limit": "2"})
    assert response.json() == {
        "plays": [
            {"track_id": 6, "played_at": 4_000, "ms_played": 50_000},
            {"track_id": 2, "played_at": 3_000, "ms_played": 100_000},
        ]
    }


async def test_play_counts_per_user_in_key_order(client: Client) -> None:
    async with client("library") as http:
        response = await http.get("/plays/counts", params={"user_ids": "2,9,1,3"})
    assert response.json() == {"counts": [{"4": 1}, None, {"1": 2, "2": 1, "6": 1}, {}]}


async def test_likes_page_newest_first(client: Client) -> None:
    async with client("library") as http:
        first = await http.get("/likes", params={"user_id": "1", "limit": "1"})
        second = await http.get("/likes", params={"user_id": "1", "offset": "1"})
    assert first.json() == {"total": 2, "items": [{"track_id": 6, "liked_at": 2_000}]}
    assert second.json() == {"total": 2, "items": [{"track_id": 1, "liked_at": 1_000}]}


async def test_owned_playlists_newest_updated_first(client: Client) -> None:
    async with client("library") as http:
        response = await http.get("/playlists", params={"user_id": "1"})
    assert response.json() == {"total": 2, "playlist_ids": [2, 1]}


async def test_unknown_user_is_not_found(client: Client) -> None:
    async with client("library") as http:
        response = await http.get("/plays/recent", params={"user_id": "99"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_post_play_records_a_real_play(client: Client, settings: BackendSettings) -> None:
    async with client("library") as http:
        response = await http.post("/plays", json={"user_id": 3, "track_id": 2, "played_at": 9_000})
        recent = await http.get("/plays/recent", params={"user_id": "3"})
    assert response.status_code == 201
    play = response.json()["play"]
    assert play == {
        "id": play["id"],
        "user_id": 3,
        "track_id": 2,
        "played_at": 9_000,
        "ms_played": 200_002,
        "simulated": False,
    }
    assert recent.json() == {"plays": [{"track_id": 2, "played_at": 9_000, "ms_played": 200_002}]}
    assert rows(settings, "SELECT simulated FROM plays WHERE user_id = 3") == [(0,)]


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": 99, "track_id": 1},
        {"user_id": 1, "track_id": 999},
        {"user_id": "1", "track_id": 1},
        {"user_id": 1, "track_id": True},
        {"track_id": 1},
        [1, 2],
    ],
)
async def test_post_play_rejects_bad_bodies(client: Client, body: Any) -> None:
    async with client("library") as http:
        response = await http.post("/plays", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


async def test_post_play_rejects_malformed_json(client: Client) -> None:
    async with client("library") as http:
        response = await http.post("/plays", content=b"{not json")
    assert response.status_code == 400


# --- playlists -------------------------------------------------------------------------------


async def test_playlists_in_key_order(client: Client) -> None:
    async with client("playlists") as http:
        response = await http.get("/playlists", params={"ids": "3,42"})
    assert response.json() == {
        "playlists": [
            {
                "id": 3,
                "owner_id": None,
                "name": "Top Hits",
                "description": "The most played tracks",
                "public": True,
                "kind": "editorial",
                "tag": "top-hits",
                "snapshot_id": snapshot_id(3, 1),
                "track_count": 3,
                "created_at": 1000,
                "updated_at": 4_000,
            },
            None,
        ]
    }


async def test_playlist_track_pages_per_playlist(client: Client) -> None:
    async with client("playlists") as http:
        response = await http.get(
            "/playlists/tracks", params={"ids": "3,42,1", "offset": "1", "limit": "1"}
        )
    assert response.json() == {
        "pages": [
            {"total": 3, "items": [{"track_id": 1, "added_at": 4_000, "added_by": None}]},
            None,
            {"total": 3, "items": [{"track_id": 2, "added_at": 5_000, "added_by": 1}]},
        ]
    }


async def test_editorial_playlists(client: Client) -> None:
    async with client("playlists") as http:
        response = await http.get("/editorial")
    assert response.json() == {"playlist_ids": [3, 4]}


async def test_create_playlist(client: Client) -> None:
    body = {"owner_id": 2, "name": "Road Trip", "description": "Loud", "public": True}
    async with client("playlists") as http:
        response = await http.post("/playlists", json=body)
        created = str(response.json()["playlist"]["id"])
        listed = await http.get("/playlists", params={"ids": created})
    assert response.status_code == 201
    playlist = response.json()["playlist"]
    assert playlist == {
        **playlist,
        "owner_id": 2,
        "name": "Road Trip",
        "description": "Loud",
        "public": True,
        "kind": "user",
        "tag": None,
        "track_count": 0,
        "snapshot_id": snapshot_id(playlist["id"], 1),
    }
    assert listed.json() == {"playlists": [playlist]}


@pytest.mark.parametrize(
    "body",
    [
        {"owner_id": 99, "name": "x"},
        {"owner_id": 1, "name": "   "},
        {"owner_id": 1, "name": 5},
        {"owner_id": 1, "name": "x", "public": "yes"},
    ],
)
async def test_create_playlist_rejects_bad_bodies(client: Client, body: dict[str, Any]) -> None:
    async with client("playlists") as http:
        response = await http.post("/playlists", json=body)
    assert response.status_code == 400


async def test_add_appends_and_changes_the_snapshot(client: Client) -> None:
    async with client("playlists") as http:
        response = await http.post(
            "/playlists/1/add",
            json={
                "user_id": 1,
                "track_ids": [6, 1],
                "expected_snapshot_id": snapshot_id(1, 1),
            },
        )
        page = await http.get("/playlists/tracks", params={"ids": "1"})
    assert response.status_code == 200
    playlist = response.json()["playlist"]
    assert playlist["track_count"] == 5
    assert playlist["snapshot_id"] == snapshot_id(1, 2)
    assert playlist["updated_at"] > 5_000
    assert [item["track_id"] for item in page.json()["pages"][0]["items"]] == [1, 2, 3, 6, 1]


async def test_conflicting_snapshot_changes_nothing(
    client: Client, settings: BackendSettings
) -> None:
    state = "SELECT * FROM playlists JOIN playlist_tracks ON playlist_id = playlists.id"
    before = rows(settings, state)
    async with client("playlists") as http:
        response = await http.post(
            "/playlists/1/add",
            json={
                "user_id": 1,
                "track_ids": [6],
                "expected_snapshot_id": "stale",
                "idempotency_key": "k1",
            },
        )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert rows(settings, state) == before
    assert rows(settings, "SELECT * FROM idempotency_keys") == []


async def test_idempotency_key_adds_once(client: Client, settings: BackendSettings) -> None:
    body = {
        "user_id": 1,
        "track_ids": [7],
        "expected_snapshot_id": snapshot_id(1, 1),
        "idempotency_key": "retry-me",
    }
    async with client("playlists") as http:
        first = await http.post("/playlists/1/add", json=body)
        retry = await http.post("/playlists/1/add", json=body)
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert rows(settings, "SELECT count(*) FROM playlist_tracks WHERE playlist_id = 1") == [(4,)]
    assert rows(settings, "SELECT version, track_count FROM playlists WHERE id = 1") == [(2, 4)]


async def test_remove_drops_every_occurrence(client: Client) -> None:
    async with client("playlists") as http:
        await http.post("/playlists/1/add", json={"user_id": 1, "track_ids": [2]})
        response = await http.post(
            "/playlists/1/remove",
            json={
                "user_id": 1,
                "track_ids": [2],
                "expected_snapshot_id": snapshot_id(1, 2),
            },
        )
        page = await http.get("/playlists/tracks", params={"ids": "1"})
    assert response.status_code == 200
    assert response.json()["playlist"]["track_count"] == 2
    assert response.json()["playlist"]["snapshot_id"] == snapshot_id(1, 3)
    assert page.json()["pages"][0] == {
        "total": 2,
        "items": [
            {"track_id": 1, "added_at": 5_000, "added_by": 1},
            {"track_id": 3, "added_at": 5_000, "added_by": 1},
        ],
    }


async def test_edit_of_unknown_playlist_is_not_found(client: Client) -> None:
    async with client("playlists") as http:
        response = await http.post("/playlists/42/add", json={"user_id": 1, "track_ids": [1]})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("playlist_id, user_id", [(1, 2), (3, 1)])
async def test_only_the_owner_edits(client: Client, playlist_id: int, user_id: int) -> None:
    async with client("playlists") as http:
        response = await http.post(
            f"/playlists/{playlist_id}/remove", json={"user_id": user_id, "track_ids": [1]}
        )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


async def test_unknown_tracks_are_listed(client: Client, settings: BackendSettings) -> None:
    async with client("playlists") as http:
        response = await http.post("/playlists/1/add", json={"user_id": 1, "track_ids": [1, 777]})
    assert response.status_code == 400
    assert "777" in response.json()["error"]["message"]
    assert rows(settings, "SELECT count(*) FROM playlist_tracks WHERE playlist_id = 1") == [(3,)]


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": 1, "track_ids": []},
        {"user_id": 1, "track_ids": "1"},
        {"user_id": 1, "track_ids": [1], "expected_snapshot_id": 3},
        {"user_id": 1, "track_ids": [1], "idempotency_key": ""},
        {"track_ids": [1]},
    ],
)
async def test_edit_rejects_bad_bodies(client: Client, body: dict[str, Any]) -> None:
    async with client("playlists") as http:
        response = await http.post("/playlists/1/add", json=body)
    assert response.status_code == 400


async def test_concurrent_edits_from_one_snapshot_apply_once(
    client: Client, settings: BackendSettings
) -> None:
    body = {"user_id": 1, "track_ids": [9], "expected_snapshot_id": snapshot_id(1, 1)}
    async with client("playlists") as http:
        responses = await asyncio.gather(
            *(http.post("/playlists/1/add", json=body) for _ in range(5))
        )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409, 409]
    assert rows(settings, "SELECT count(*) FROM playlist_tracks WHERE track_id = 9") == [(1,)]
