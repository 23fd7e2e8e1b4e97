"""Who may see and change what: every personal field and mutation × owner, another listener
and a guest, over the real store (resolvers/access.py holds the rules).

The listeners used here (near the end of the simulated range) are not the `listener` fixture,
so the playlists created below do not change what other tests see.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from resolvers.global_id import to_global_id
from tests.support.graphql import execute, payload, post
from tests.support.store import STORE, TEST_LISTENERS

pytestmark = pytest.mark.anyio

OK, NULL = "OK", "NULL"  # data at the field, or null without any error; else an error code
ACTORS = ("owner", "other", "anonymous")


@dataclass(frozen=True)
class World:
    owner: str
    other: str
    owner_user_id: str
    private_id: str
    public_id: str
    mix_id: str
    missing_id: str
    track_id: str

    def handle(self, actor: str) -> str | None:
        return {"owner": self.owner, "other": self.other, "anonymous": None}[actor]


def _listeners(db: Path) -> tuple[str, str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT user_id FROM plays WHERE user_id > ? GROUP BY user_id"
            " HAVING count(*) > 20 ORDER BY user_id DESC LIMIT 2",
            (TEST_LISTENERS - 100,),
        ).fetchall()
    return f"user-{rows[0][0]}", f"user-{rows[1][0]}"


CREATE = """mutation($name: String!, $public: Boolean!) {
  createPlaylist(input: {name: $name, public: $public}) { playlist { id } } }"""
ADD = """mutation($p: ID!, $t: [ID!]!) {
  addTracksToPlaylist(input: {playlistId: $p, trackIds: $t}) { playlist { id snapshotId } } }"""
REMOVE = """mutation($p: ID!, $t: [ID!]!) {
  removeTracksFromPlaylist(input: {playlistId: $p, trackIds: $t}) { playlist { id } } }"""
RECORD = """mutation($t: ID!) { recordPlay(input: {trackId: $t}) { track { id } } }"""
PLAYLIST = "query($id: ID!) { playlist(id: $id) { id name public tracks { totalCount } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Playlist { name } } }"
SNAPSHOT = "query($id: ID!) { playlist(id: $id) { snapshotId } }"


def user_field(selection: str) -> str:
    return f"query($u: ID!) {{ node(id: $u) {{ ... on User {{ {selection} }} }} }}"


_WORLDS: dict[Path, World] = {}  # one per data build: the store outlives each test's app


@pytest.fixture
async def world(client: httpx.AsyncClient, settings_env: Path) -> World:
    if settings_env not in _WORLDS:
        _WORLDS[settings_env] = await _make_world(client, settings_env)
    return _WORLDS[settings_env]


async def _make_world(client: httpx.AsyncClient, settings_env: Path) -> World:
    owner, other = _listeners(settings_env / STORE)
    track = to_global_id("Track", 1)
    ids = {}
    for name, public in (("private", False), ("public", True)):
        body = await execute(
            client, CREATE, {"name": f"matrix {name}", "public": public}, user=owner
        )
        ids[name] = body["data"]["createPlaylist"]["playlist"]["id"]
        await execute(client, ADD, {"p": ids[name], "t": [track]}, user=owner)
    owner_id = int(owner.removeprefix("user-"))
    return World(
        owner=owner,
        other=other,
        owner_user_id=to_global_id("User", owner_id),
        private_id=ids["private"],
        public_id=ids["public"],
        mix_id=to_global_id("Playlist", f"discover-weekly:{owner}"),
        missing_id=to_global_id("Playlist", 987_654_321),
        track_id=track,
    )


Build = Callable[[World], tuple[str, dict[str, Any]]]
CASES: list[tuple[str, Build, dict[str, str]]] = [
    ("me", lambda w: ("{ me { handle } }", {}), {"other": OK, "anonymous": NULL}),
    *[
        (
            f"User.{field}",
            (lambda s: lambda w: (user_field(s), {"u": w.owner_user_id}))(selection),
            {"other": "FORBIDDEN", "anonymous": "UNAUTHENTICATED"},
        )
        for field, selection in (
            ("likedTracks", "likedTracks(first: 2) { totalCount edges { node { id } } }"),
            ("recentlyPlayed", "recentlyPlayed(first: 2) { totalCount }"),
            ("discoverWeekly", "discoverWeekly { id tracks(first: 1) { totalCount } }"),
            ("dailyMixes", "dailyMixes { id }"),
        )
    ],
    (
        "User.playlists",
        lambda w: (user_field("playlists { totalCount }"), {"u": w.owner_user_id}),
        {"other": OK, "anonymous": OK},
    ),
    (
        "playlist(private)",
        lambda w: (PLAYLIST, {"id": w.private_id}),
        {"other": NULL, "anonymous": NULL},
    ),
    (
        "playlist(public)",
        lambda w: (PLAYLIST, {"id": w.public_id}),
        {"other": OK, "anonymous": OK},
    ),
    ("node(private)", lambda w: (NODE, {"id": w.private_id}), {"other": NULL, "anonymous": NULL}),
    ("node(mix)", lambda w: (NODE, {"id": w.mix_id}), {"other": NULL, "anonymous": NULL}),
    (
        "createPlaylist",
        lambda w: (CREATE, {"name": "matrix new", "public": False}),
        {"other": OK, "anonymous": "UNAUTHENTICATED"},
    ),
    (
        "addTracksToPlaylist(private)",
        lambda w: (ADD, {"p": w.private_id, "t": [w.track_id]}),
        {"other": "NOT_FOUND", "anonymous": "UNAUTHENTICATED"},
    ),
    (
        "addTracksToPlaylist(public)",
        lambda w: (ADD, {"p": w.public_id, "t": [w.track_id]}),
        {"other": "FORBIDDEN", "anonymous": "UNAUTHENTICATED"},
    ),
    (
        "removeTracksFromPlaylist(private)",
        lambda w: (REMOVE, {"p": w.private_id, "t": [w.track_id]}),
        {"other": "NOT_FOUND", "anonymous": "UNAUTHENTICATED"},
    ),
    (
        "removeTracksFromPlaylist(public)",
        lambda w: (REMOVE, {"p": w.public_id, "t": [w.track_id]}),
        {"other": "FORBIDDEN", "anonymous": "UNAUTHENTICATED"},
    ),
    (
        "recordPlay",
        lambda w: (RECORD, {"t": w.track_id}),
        {"other": OK, "anonymous": "UNAUTHENTICATED"},
    ),
]


async def snapshots(client: httpx.AsyncClient, w: World) -> list[str]:
    bodies = [
        await execute(client, SNAPSHOT, {"id": i}, user=w.owner)
        for i in (w.private_id, w.public_id)
    ]
    return [b["data"]["playlist"]["snapshotId"] for b in bodies]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("name", "build", "expected"), CASES, ids=[c[0] for c in CASES])
async def test_access_matrix(
    client: httpx.AsyncClient,
    world: World,
    actor: str,
    name: str,
    build: Build,
    expected: dict[str, str],
) -> None:
    # given
    query, variables = build(world)
    outcome = {"owner": OK, **expected}[actor]
    before = await snapshots(client, world)
    # when
    body = await execute(client, query, variables, user=world.handle(actor))
    # then
    (field,) = body["data"].keys()
    value = body["data"][field]
    if field == "node" and query.startswith("query($u"):
        value = None if value is None else next(iter(value.values()), None)
    if outcome == OK:
        assert "errors" not in body, body
        assert value is not None, body
    elif outcome == NULL:
        assert body["data"][field] is None and "errors" not in body, body
    else:
        assert value is None, body
        assert [e["extensions"]["code"] for e in body["errors"]] == [outcome], body
    if outcome != OK:
        assert await snapshots(client, world) == before, "a refused call changed a playlist"


async def test_someone_elses_private_playlist_answers_exactly_like_a_missing_one(
    client: httpx.AsyncClient, world: World
) -> None:
    for actor in ("other", "anonymous"):
        user = world.handle(actor)
        for query, key in (
            (PLAYLIST, "id"),
            (NODE, "id"),
            (ADD, "p"),
            (REMOVE, "p"),
        ):
            extra = {"t": [world.track_id]} if key == "p" else {}
            private = await post(
                client, payload(query, {key: world.private_id, **extra}), user=user
            )
            missing = await post(
                client, payload(query, {key: world.missing_id, **extra}), user=user
            )
            assert (private.status_code, private.json()) == (missing.status_code, missing.json())
        # a generated mix of someone else looks like one that does not exist either
        mix = await post(client, payload(NODE, {"id": world.mix_id}), user=user)
        nobody = to_global_id("Playlist", "discover-weekly:user-987654321")
        assert mix.json() == (await post(client, payload(NODE, {"id": nobody}), user=user)).json()


async def test_others_see_and_count_only_public_playlists(
    client: httpx.AsyncClient, world: World, settings_env: Path
) -> None:
    owner_id = int(world.owner.removeprefix("user-"))
    with sqlite3.connect(settings_env / "crossfade.db") as conn:
        total, public = conn.execute(
            "SELECT count(*), coalesce(sum(public), 0) FROM playlists WHERE owner_id = ?",
            (owner_id,),
        ).fetchone()
    assert total > public >= 1  # the world made one of each
    query = user_field("playlists(first: 100) { totalCount edges { node { id public } } }")
    for actor, expected_total in (("owner", total), ("other", public), ("anonymous", public)):
        body = await execute(client, query, {"u": world.owner_user_id}, user=world.handle(actor))
        listing = body["data"]["node"]["playlists"]
        assert listing["totalCount"] == expected_total == len(listing["edges"]), actor
        ids = {e["node"]["id"] for e in listing["edges"]}
        assert (world.private_id in ids) == (actor == "owner")
        if actor != "owner":
            assert all(e["node"]["public"] for e in listing["edges"])


async def test_guests_get_the_catalog_and_search_but_no_personal_shelves(
    client: httpx.AsyncClient, world: World
) -> None:
    query = "{ home { sections(first: 20) { edges { node { kind } } } } }"
    personal = {"RECENTLY_PLAYED", "MADE_FOR_YOU", "BECAUSE_YOU_LISTENED", "TOP_ARTISTS"}
    guest = await execute(client, query, {}, user=None)
    assert "errors" not in guest
    kinds = {e["node"]["kind"] for e in guest["data"]["home"]["sections"]["edges"]}
    assert kinds and not kinds & personal
    owner = await execute(client, query, {}, user=world.owner)
    owner_kinds = {e["node"]["kind"] for e in owner["data"]["home"]["sections"]["edges"]}
    assert owner_kinds & personal
    search = await execute(
        client, '{ search(query: "love") { tracks { totalCount } } }', {}, user=None
    )
    assert "errors" not in search and search["data"]["search"]["tracks"]["totalCount"] > 0
