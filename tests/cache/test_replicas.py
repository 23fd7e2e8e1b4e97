"""Two real gateway processes sharing a real Redis: a listener's writes show at once in their
next read on either replica, and nobody is ever served another viewer's answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from resolvers.global_id import to_global_id
from tests.cache.conftest import (
    Replicas,
    backend_calls,
    listeners,
    next_playlist_key,
    served,
    track_ids,
)

pytestmark = pytest.mark.slow


def reads(replicas: Replicas, playlist: int) -> list[tuple[str, dict[str, Any] | None]]:
    return [
        ("HomeFeed", None),
        ("Library", None),
        ("Playlist", {"id": to_global_id("Playlist", playlist)}),
    ]


def check_at_once(
    replicas: Replicas, who: str, name: str, variables: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The read on both replicas: executed again (the write invalidated it) and identical to
    a fresh execution; then a repeat is a hit again."""
    truth = served(replicas.fresh, name, variables, who=who).json()
    answers = []
    for url in (replicas.a, replicas.b):
        after = served(url, name, variables, who=who)
        assert after.headers["x-cache"] == "miss", (url, name)
        assert after.json() == truth, (url, name)
        repeat = served(url, name, variables, who=who)
        assert repeat.headers["x-cache"] == "hit", (url, name)
        assert repeat.content == after.content
        answers.append(after.json())
    return answers


def check_every_read(replicas: Replicas, who: str, playlist: int) -> None:
    """Every read of the writer, on both replicas, equals a fresh execution (whether the
    write changed it, and it ran again, or not, and it may be served as it was)."""
    for name, variables in reads(replicas, playlist):
        truth = served(replicas.fresh, name, variables, who=who).json()
        for url in (replicas.a, replicas.b):
            assert served(url, name, variables, who=who).json() == truth, (url, name)


def test_a_listeners_writes_show_at_once_on_both_replicas(replicas: Replicas) -> None:
    (someone,) = listeners(replicas.store, 1)
    who, playlist = someone.handle, someone.public_playlist
    played, added = track_ids(replicas.store, 2, offset=300)
    # given: each screen cached on both replicas (a repeat costs no backend call)
    for name, variables in reads(replicas, playlist):
        for url in (replicas.a, replicas.b):
            served(url, name, variables, who=who)
            calls = backend_calls(url)
            assert served(url, name, variables, who=who).headers["x-cache"] == "hit"
            assert backend_calls(url) == calls

    # when: a play is recorded on A
    record = {"trackId": to_global_id("Track", played)}
    served(replicas.a, "PlaylistEdits", record, who=who, operation_name="RecordPlay")
    # then: Home shows it first in Recently played, on A and on B
    for home in check_at_once(replicas, who, "HomeFeed", None):
        shelves = [e["node"] for e in home["data"]["home"]["sections"]["edges"]]
        recent = next(s for s in shelves if s["kind"] == "RECENTLY_PLAYED")
        assert recent["items"]["edges"][0]["node"]["id"] == record["trackId"]
    check_every_read(replicas, who, playlist)

    # when: a track is added to their playlist on A
    add = {
        "playlistId": to_global_id("Playlist", playlist),
        "trackIds": [to_global_id("Track", added)],
    }
    edited = served(replicas.a, "PlaylistEdits", add, who=who, operation_name="AddTracks")
    snapshot = edited.json()["data"]["addTracksToPlaylist"]["playlist"]["snapshotId"]
    # then: the playlist page and the library show the new snapshot, on A and on B
    for page in check_at_once(replicas, who, "Playlist", {"id": add["playlistId"]}):
        assert page["data"]["playlist"]["snapshotId"] == snapshot
    for library in check_at_once(replicas, who, "Library", None):
        mine = [e["node"] for e in library["data"]["me"]["playlists"]["edges"]]
        assert {"id": add["playlistId"], "snapshotId": snapshot} in [
            {"id": p["id"], "snapshotId": p["snapshotId"]} for p in mine
        ]
    check_every_read(replicas, who, playlist)

    # when: a playlist is created, on B this time, after A was asked for it (a null, kept)
    upcoming = {"id": to_global_id("Playlist", next_playlist_key(replicas.store))}
    for _ in range(2):
        assert served(replicas.a, "Playlist", upcoming, who=who).json()["data"] == {
            "playlist": None
        }
    create = {"name": "Cached and fresh", "public": False}
    made = served(replicas.b, "PlaylistEdits", create, who=who, operation_name="CreatePlaylist")
    new_id = made.json()["data"]["createPlaylist"]["playlist"]["id"]
    # then: the library lists it first (newest), on both
    for library in check_at_once(replicas, who, "Library", None):
        assert library["data"]["me"]["playlists"]["edges"][0]["node"]["id"] == new_id
    check_every_read(replicas, who, playlist)
    # and the new playlist's own page on A, which had kept it as missing
    assert upcoming["id"] == new_id
    page = served(replicas.a, "Playlist", {"id": new_id}, who=who).json()
    assert page == served(replicas.fresh, "Playlist", {"id": new_id}, who=who).json()
    assert page["data"]["playlist"]["name"] == "Cached and fresh"


def test_nobody_is_served_another_viewers_answer(replicas: Replicas) -> None:
    one, two = listeners(replicas.store, 2)
    secret = {"id": to_global_id("Playlist", one.private_playlist)}
    for url in (replicas.a, replicas.b):
        for name, variables in (("HomeFeed", None), ("Node", secret), ("Library", None)):
            mine = served(url, name, variables, who=one.handle)
            again = served(url, name, variables, who=one.handle)
            assert again.headers["x-cache"] == "hit" and again.content == mine.content
            # user two sends user one's exact request; a guest sends it too
            for other in (two.handle, None):
                theirs = served(url, name, variables, who=other)
                assert theirs.content != mine.content, (url, name, other)
                assert theirs.json() == served(replicas.fresh, name, variables, who=other).json()
    # the private playlist stays invisible to the others however often it was served
    hidden = httpx.post(
        f"{replicas.b}/graphql",
        json={"query": "query($id: ID!) { node(id: $id) { id } }", "variables": secret},
        timeout=30,
    )
    assert hidden.json()["data"] == {"node": None}
