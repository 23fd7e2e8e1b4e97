"""Read-your-writes on one gateway: after each write a listener can make (a play, a track added
to their playlist, a playlist created), their Home, Library and playlist pages equal a fresh
execution at once, cached or not; the reads the write changed are executed again. And a
batch (a JSON array) is neither served from the cache nor kept, while its writes count."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from resolvers.global_id import from_global_id, to_global_id
from tests.cache.conftest import (
    Listener,
    ask,
    body,
    headers,
    listeners,
    next_playlist_key,
    track_ids,
)
from tests.support.app import Gateway, GatewayClient
from tests.support.calls import CallMeter

pytestmark = pytest.mark.anyio

READS = ("HomeFeed", "Library", "Playlist")


def variables_of(name: str, playlist: int) -> dict[str, Any] | None:
    return {"id": to_global_id("Playlist", playlist)} if name == "Playlist" else None


async def write(client: GatewayClient, kind: str, who: Listener, track: int) -> dict[str, Any]:
    """One write through the gateway; its payload."""
    if kind == "RecordPlay":
        variables: dict[str, Any] = {"trackId": to_global_id("Track", track)}
    elif kind == "AddTracks":
        variables = {
            "playlistId": to_global_id("Playlist", who.public_playlist),
            "trackIds": [to_global_id("Track", track)],
        }
    else:
        variables = {"name": "Written, then read", "public": False}
    answer = await ask(client, "PlaylistEdits", variables, who=who.handle, operation_name=kind)
    payload: dict[str, Any] = answer.json()
    assert "errors" not in payload, payload
    return payload


# What each write must make the cache execute again (the others may be served as they were).
CHANGED = {
    "RecordPlay": {"HomeFeed"},
    "AddTracks": {"Library", "Playlist"},
    "CreatePlaylist": {"Library", "NewPlaylist"},
}


@pytest.mark.parametrize("kind", sorted(CHANGED))
async def test_each_write_shows_in_every_read_of_the_writer_at_once(
    gateway: Gateway, store: Path, kind: str
) -> None:
    index = sorted(CHANGED).index(kind)
    who = listeners(store, 3)[index]
    (track,) = track_ids(store, 1, offset=700 + index)
    cached, fresh = await gateway(), await gateway(response_cache=False)
    new_key = next_playlist_key(store)
    reads: dict[str, tuple[str, dict[str, Any] | None]] = {
        name: (name, variables_of(name, who.public_playlist)) for name in READS
    }
    # The playlist the write will create, asked for before it exists: a null, kept too.
    reads["NewPlaylist"] = ("Playlist", variables_of("Playlist", new_key))

    # given: every read cached for the writer
    for name, variables in reads.values():
        await ask(cached, name, variables, who=who.handle)
        assert (await ask(cached, name, variables, who=who.handle)).headers["x-cache"] == "hit"
    before_new = await ask(cached, *reads["NewPlaylist"], who=who.handle)
    assert before_new.json()["data"] == {"playlist": None}

    # when: the write
    payload = await write(cached, kind, who, track)
    if kind == "CreatePlaylist":
        created = payload["data"]["createPlaylist"]["playlist"]["id"]
        assert int(from_global_id(created)[1]) == new_key

    # then: every read equals a fresh execution, and the changed ones ran again
    for label, (name, variables) in reads.items():
        after = await ask(cached, name, variables, who=who.handle)
        truth = await ask(fresh, name, variables, who=who.handle)
        assert after.json() == truth.json(), label
        if label in CHANGED[kind]:
            assert after.headers["x-cache"] == "miss", label
    if kind == "CreatePlaylist":
        shown = await ask(cached, *reads["NewPlaylist"], who=who.handle)
        assert shown.json()["data"]["playlist"]["name"] == "Written, then read"


async def test_a_batch_is_neither_served_from_the_cache_nor_kept_but_its_writes_count(
    gateway: Gateway, store: Path
) -> None:
    who = "user-12"
    (track,) = track_ids(store, 1, offset=720)
    cached, fresh = await gateway(), await gateway(response_cache=False)
    await ask(cached, "HomeFeed", who=who)
    assert (await ask(cached, "HomeFeed", who=who)).headers["x-cache"] == "hit"

    # a batch holding that same Home runs it: no lookup per element, no entry for the whole
    batch = [body("HomeFeed"), body("Search", {"q": "love"})]
    with CallMeter() as meter:
        answered = await cached.post("/graphql", json=batch, headers=headers(who))
    assert answered.status_code == 200 and "x-cache" not in answered.headers
    assert [("errors" in a) for a in answered.json()] == [False, False]
    assert meter.total > 0
    # nor is any of its answers kept: the same Search alone runs
    assert (await ask(cached, "Search", {"q": "love"}, who=who)).headers["x-cache"] == "miss"

    # a play recorded in a batch invalidates the Home it changes, like any other write
    play = body("PlaylistEdits", {"trackId": to_global_id("Track", track)}, "RecordPlay")
    written = await cached.post("/graphql", json=[play], headers=headers(who))
    assert "errors" not in written.json()[0], written.json()
    after = await ask(cached, "HomeFeed", who=who)
    assert after.headers["x-cache"] == "miss"
    assert after.json() == (await ask(fresh, "HomeFeed", who=who)).json()
