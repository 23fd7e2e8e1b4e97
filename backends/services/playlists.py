"""The playlists service: playlist metadata, their entries, editorial lists and edits.

Edits are optimistic: a client may send the ``snapshot_id`` it last saw, and the edit only
applies if nobody changed the playlist since (else 409 and nothing changes). An
``idempotency_key`` makes a retried add answer the first answer instead of adding twice.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backends.http import (
    ApiError,
    JSONResponse,
    bad_request,
    body_ids,
    body_int,
    body_str,
    not_found,
    parse_ids,
    parse_int,
    read_object,
)
from backends.services.catalog import placeholders, unique
from backends.services.pool import ConnectionPool
from backends.settings import BackendSettings

PAGE_MAX = 500


def snapshot_id(playlist_id: int, version: int) -> str:
    """Opaque to clients; derived, so it never needs storing or migrating."""
    return hashlib.sha1(f"{playlist_id}-{version}".encode()).hexdigest()[:16]


def playlist_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "owner_id": row["owner_id"],
        "name": row["name"],
        "description": row["description"],
        "public": bool(row["public"]),
        "kind": row["kind"],
        "tag": row["tag"],
        "snapshot_id": snapshot_id(row["id"], row["version"]),
        "track_count": row["track_count"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def fetch_playlists(conn: sqlite3.Connection, ids: Sequence[int]) -> list[dict[str, Any] | None]:
    keys = unique(ids)
    rows = conn.execute(
        f"SELECT * FROM playlists WHERE id IN ({placeholders(keys)})", keys
    ).fetchall()
    found = {row["id"]: playlist_json(row) for row in rows}
    return [found.get(i) for i in ids]


def fetch_pages(
    conn: sqlite3.Connection, ids: Sequence[int], offset: int, limit: int
) -> list[dict[str, Any] | None]:
    """One page of entries per playlist, in insertion order, in a single query."""
    keys = unique(ids)
    marks = placeholders(keys)
    totals = dict(
        conn.execute(
            f"SELECT id, track_count FROM playlists WHERE id IN ({marks})", keys
        ).fetchall()
    )
    pages: dict[int, dict[str, Any]] = {
        key: {"total": total, "items": []} for key, total in totals.items()
    }
    rows = conn.execute(
        f"SELECT playlist_id, track_id, added_at, added_by FROM ("
        f" SELECT *, row_number() OVER (PARTITION BY playlist_id ORDER BY id) AS position"
        f" FROM playlist_tracks WHERE playlist_id IN ({marks}))"
        f" WHERE position > ? AND position <= ? ORDER BY playlist_id, position",
        [*keys, offset, offset + limit],
    )
    for playlist_id, track_id, added_at, added_by in rows:
        pages[playlist_id]["items"].append(
            {"track_id": track_id, "added_at": added_at, "added_by": added_by}
        )
    return [pages.get(i) for i in ids]


def now_ms() -> int:
    return int(time.time() * 1000)


class PlaylistsService:
    """HTTP endpoints over playlists and their entries; edits go through one writer."""

    def __init__(self, pool: ConnectionPool, settings: BackendSettings) -> None:
        self.pool = pool
        self.max_batch = settings.max_batch

    def routes(self) -> list[Route]:
        return [
            Route("/playlists", self.playlists, methods=["GET"]),
            Route("/playlists", self.create, methods=["POST"]),
            Route("/playlists/tracks", self.tracks),
            Route("/playlists/{playlist_id:int}/add", self.add, methods=["POST"]),
            Route("/playlists/{playlist_id:int}/remove", self.remove, methods=["POST"]),
            Route("/editorial", self.editorial),
        ]

    def playlists(self, request: Request) -> Response:
        ids = parse_ids(request.query_params, "ids", max_batch=self.max_batch)
        found = fetch_playlists(self.pool.reader(), ids) if ids else []
        return JSONResponse({"playlists": found})

    def tracks(self, request: Request) -> Response:
        params = request.query_params
        ids = parse_ids(params, "ids", max_batch=self.max_batch)
        offset = parse_int(params, "offset", default=0, minimum=0, maximum=1_000_000)
        limit = parse_int(params, "limit", default=100, minimum=1, maximum=PAGE_MAX)
        pages = fetch_pages(self.pool.reader(), ids, offset, limit) if ids else []
        return JSONResponse({"pages": pages})

    def editorial(self, request: Request) -> Response:
        rows = (
            self.pool.reader()
            .execute("SELECT * FROM playlists WHERE kind = 'editorial' ORDER BY id")
            .fetchall()
        )
        answer: dict[str, Any] = {"playlist_ids": [row["id"] for row in rows]}
        if request.query_params.get("expand") == "playlists":
            # The headers too: everyone's Home shows them, so one call serves them all.
            answer["playlists"] = [playlist_json(row) for row in rows]
        return JSONResponse(answer)

    async def create(self, request: Request) -> Response:
        body = await read_object(request)
        owner_id = body_int(body, "owner_id")
        assert owner_id is not None
        name = body_str(body, "name", max_length=200).strip()
        if not name:
            raise bad_request("'name' must not be empty")
        description = body_str(body, "description", default="")
        public = body.get("public", False)
        if not isinstance(public, bool):
            raise bad_request("'public' must be a boolean")
        playlist = await run_in_threadpool(self._create, owner_id, name, description, public)
        return JSONResponse({"playlist": playlist}, status_code=201)

    def _create(self, owner_id: int, name: str, description: str, public: bool) -> Any:
        with self.pool.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE id = ?", (owner_id,)).fetchone() is None:
                raise bad_request(f"unknown owner_id {owner_id}")
            now = now_ms()
            cursor = conn.execute(
                "INSERT INTO playlists (owner_id, name, description, public, kind, tag, version,"
                " track_count, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, 'user', NULL, 1, 0, ?, ?)",
                (owner_id, name, description, int(public), now, now),
            )
            assert cursor.lastrowid is not None
            return fetch_playlists(conn, [cursor.lastrowid])[0]

    async def add(self, request: Request) -> Response:
        return await self._edit(request, adding=True)

    async def remove(self, request: Request) -> Response:
        return await self._edit(request, adding=False)

    async def _edit(self, request: Request, *, adding: bool) -> Response:
        playlist_id: int = request.path_params["playlist_id"]
        body = await read_object(request)
        user_id = body_int(body, "user_id")
        assert user_id is not None
        track_ids = body_ids(body, "track_ids", max_batch=self.max_batch)
        expected = body.get("expected_snapshot_id")
        if expected is not None and not isinstance(expected, str):
            raise bad_request("'expected_snapshot_id' must be a string or null")
        key = body.get("idempotency_key")
        if key is not None and (not isinstance(key, str) or not 0 < len(key) <= 200):
            raise bad_request("'idempotency_key' must be a string of 1 to 200 characters")
        answer = await run_in_threadpool(
            self._apply, playlist_id, user_id, track_ids, expected, key, adding
        )
        return JSONResponse(answer)

    def _apply(
        self,
        playlist_id: int,
        user_id: int,
        track_ids: list[int],
        expected: str | None,
        key: str | None,
        adding: bool,
    ) -> Any:
        # Every check and the write share one BEGIN IMMEDIATE transaction, so no other edit
        # can slip in between the snapshot check and the write; an ApiError rolls it back.
        with self.pool.transaction() as conn:
            row = conn.execute("SELECT * FROM playlists WHERE id = ?", (playlist_id,)).fetchone()
            if row is None:
                raise not_found(f"no playlist {playlist_id}")
            if row["kind"] != "user" or row["owner_id"] != user_id:
                raise ApiError(403, "FORBIDDEN", f"user {user_id} cannot edit this playlist")
            if key is not None:
                stored = conn.execute(
                    "SELECT playlist_id, response FROM idempotency_keys"
                    " WHERE user_id = ? AND key = ?",
                    (user_id, key),
                ).fetchone()
                if stored is not None:
                    if stored["playlist_id"] != playlist_id:
                        raise bad_request("this idempotency_key was used for another playlist")
                    # Checked before the snapshot: a retry of an edit that succeeded carries
                    # the snapshot it replaced, and must still get the first answer.
                    return orjson.loads(stored["response"])
            distinct = unique(track_ids)
            known = {
                r[0]
                for r in conn.execute(
                    f"SELECT id FROM tracks WHERE id IN ({placeholders(distinct)})", distinct
                )
            }
            missing = [t for t in distinct if t not in known]
            if missing:
                raise bad_request(f"unknown track_ids: {', '.join(map(str, missing[:20]))}")
            current = snapshot_id(playlist_id, row["version"])
            if expected is not None and expected != current:
                raise ApiError(
                    409,
                    "CONFLICT",
                    f"the playlist changed: expected snapshot {expected}, current {current}",
                )
            now = max(now_ms(), row["updated_at"])
            if adding:
                conn.executemany(
                    "INSERT INTO playlist_tracks (playlist_id, track_id, added_at, added_by)"
                    " VALUES (?, ?, ?, ?)",
                    [(playlist_id, track_id, now, user_id) for track_id in track_ids],
                )
                changed = len(track_ids)
            else:
                changed = -conn.execute(
                    f"DELETE FROM playlist_tracks WHERE playlist_id = ?"
                    f" AND track_id IN ({placeholders(distinct)})",
                    [playlist_id, *distinct],
                ).rowcount
            if changed:
                conn.execute(
                    "UPDATE playlists SET version = version + 1, updated_at = ?,"
                    " track_count = track_count + ? WHERE id = ?",
                    (now, changed, playlist_id),
                )
            answer = {"playlist": fetch_playlists(conn, [playlist_id])[0]}
            if key is not None:
                conn.execute(
                    "INSERT INTO idempotency_keys (user_id, key, playlist_id, response,"
                    " created_at) VALUES (?, ?, ?, ?, ?)",
                    (user_id, key, playlist_id, orjson.dumps(answer).decode(), now_ms()),
                )
            return answer
