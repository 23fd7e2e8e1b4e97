"""Playlist edits through the gateway: snapshots, idempotency keys, ownership; plays."""

from __future__ import annotations

import httpx
import pytest

from tests.support.graphql import execute
from tests.support.repo import operation

pytestmark = pytest.mark.anyio
EDITS = operation("PlaylistEdits")


async def _track_ids(client: httpx.AsyncClient, q: str, n: int) -> list[str]:
    body = await execute(client, operation("Search"), {"q": q, "first": n})
    return [e["node"]["id"] for e in body["data"]["search"]["tracks"]["edges"]]


async def _create(client: httpx.AsyncClient, user: str = "user-1") -> dict[str, str]:
    body = await execute(
        client,
        EDITS,
        {"name": "Road trip", "public": True},
        operation_name="CreatePlaylist",
        user=user,
    )
    assert "errors" not in body, body.get("errors")
    playlist: dict[str, str] = body["data"]["createPlaylist"]["playlist"]
    return playlist


async def test_add_with_the_expected_snapshot_then_conflict_with_a_stale_one(
    client: httpx.AsyncClient,
) -> None:
    playlist = await _create(client)
    tracks = await _track_ids(client, "metallica", 3)
    added = await execute(
        client,
        EDITS,
        {
            "playlistId": playlist["id"],
            "trackIds": tracks[:2],
            "expectedSnapshotId": playlist["snapshotId"],
        },
        operation_name="AddTracks",
    )
    after = added["data"]["addTracksToPlaylist"]["playlist"]
    assert after["tracks"]["totalCount"] == 2
    assert after["snapshotId"] != playlist["snapshotId"]
    # a client that still holds the first snapshot is refused, and nothing changes
    stale = await execute(
        client,
        EDITS,
        {
            "playlistId": playlist["id"],
            "trackIds": tracks[2:],
            "expectedSnapshotId": playlist["snapshotId"],
        },
        operation_name="AddTracks",
    )
    assert stale["data"]["addTracksToPlaylist"] is None
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert stale["errors"][0]["path"] == ["addTracksToPlaylist"]
    page = await execute(client, operation("Playlist"), {"id": playlist["id"]})
    assert page["data"]["playlist"]["tracks"]["totalCount"] == 2
    assert page["data"]["playlist"]["snapshotId"] == after["snapshotId"]


async def test_a_retried_add_with_the_same_idempotency_key_adds_once(
    client: httpx.AsyncClient,
) -> None:
    playlist = await _create(client)
    tracks = await _track_ids(client, "ghost", 2)
    variables = {"playlistId": playlist["id"], "trackIds": tracks, "idempotencyKey": "retry-1"}
    first = await execute(client, EDITS, variables, operation_name="AddTracks")
    second = await execute(client, EDITS, variables, operation_name="AddTracks")
    assert first["data"] == second["data"]
    assert second["data"]["addTracksToPlaylist"]["playlist"]["tracks"]["totalCount"] == 2


async def test_remove_tracks_and_only_the_owner_edits(client: httpx.AsyncClient) -> None:
    playlist = await _create(client)
    tracks = await _track_ids(client, "rock", 3)
    await execute(
        client,
        EDITS,
        {"playlistId": playlist["id"], "trackIds": tracks},
        operation_name="AddTracks",
    )
    removed = await execute(
        client,
        EDITS,
        {"playlistId": playlist["id"], "trackIds": tracks[:1]},
        operation_name="RemoveTracks",
    )
    assert removed["data"]["removeTracksFromPlaylist"]["playlist"]["tracks"]["totalCount"] == 2
    other = await execute(
        client,
        EDITS,
        {"playlistId": playlist["id"], "trackIds": tracks},
        operation_name="AddTracks",
        user="user-2",
    )
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    guest = await execute(
        client,
        EDITS,
        {"playlistId": playlist["id"], "trackIds": tracks},
        operation_name="AddTracks",
        user=None,
    )
    assert guest["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_record_play_shows_in_the_next_home(client: httpx.AsyncClient) -> None:
    track = (await _track_ids(client, "master of puppets", 1))[0]
    played = await execute(
        client, EDITS, {"trackId": track}, operation_name="RecordPlay", user="user-3"
    )
    assert played["data"]["recordPlay"]["track"]["id"] == track
    home = await execute(client, operation("HomeFeed"), user="user-3")
    recent = next(
        e["node"]
        for e in home["data"]["home"]["sections"]["edges"]
        if e["node"]["kind"] == "RECENTLY_PLAYED"
    )
    assert recent["items"]["edges"][0]["node"]["id"] == track
