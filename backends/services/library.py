"""The library service: users, listening history, likes and the playlists a user owns."""

from __future__ import annotations

import sqlite3
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backends.http import (
    JSONResponse,
    bad_request,
    body_int,
    not_found,
    parse_ids,
    parse_int,
    read_object,
)
from backends.services.catalog import placeholders, unique
from backends.services.pool import ConnectionPool
from backends.settings import BackendSettings
from backends.store.mixes import GeneratedMix, read_mixes

PAGE_MAX = 100
# `/mixes?valid_for=` and `/profile?mixes=`: a week and a day is what the gateway asks for;
# a little headroom.
MAX_PERIODS = 8
PERIOD_MAX_CHARS = 16


def fetch_users(conn: sqlite3.Connection, ids: Sequence[int]) -> list[dict[str, Any] | None]:
    keys = unique(ids)
    rows = conn.execute(
        "SELECT id, display_name, country, timezone, explicit_filter, simulated FROM users"
        f" WHERE id IN ({placeholders(keys)})",
        keys,
    ).fetchall()
    found = {
        row["id"]: {
            "id": row["id"],
            "display_name": row["display_name"],
            "country": row["country"],
            "timezone": row["timezone"],
            "explicit_filter": bool(row["explicit_filter"]),
            "simulated": bool(row["simulated"]),
        }
        for row in rows
    }
    return [found.get(i) for i in ids]


def fetch_play_counts(
    conn: sqlite3.Connection, user_ids: Sequence[int]
) -> list[dict[str, int] | None]:
    keys = unique(user_ids)
    marks = placeholders(keys)
    known = {row[0] for row in conn.execute(f"SELECT id FROM users WHERE id IN ({marks})", keys)}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = conn.execute(
        f"SELECT user_id, track_id, count(*) FROM plays WHERE user_id IN ({marks})"
        " GROUP BY user_id, track_id",
        keys,
    )
    for user_id, track_id, count in rows:
        # JSON object keys are strings; the contract spells them as track IDs.
        counts[user_id][str(track_id)] = count
    return [counts.get(i, {}) if i in known else None for i in user_ids]


def history_version(conn: sqlite3.Connection, user_id: int) -> str:
    """Changes with every play the listener adds (plays are never edited or deleted)."""
    count, last = conn.execute(
        "SELECT count(*), coalesce(max(id), 0) FROM plays WHERE user_id = ?", (user_id,)
    ).fetchone()
    return f"{count}-{last}"


def parse_periods(raw: str, name: str) -> list[str]:
    """Comma-separated period names (ISO weeks, days), few and short."""
    periods = [p for p in raw.split(",") if p]
    if len(periods) > MAX_PERIODS or any(len(p) > PERIOD_MAX_CHARS for p in periods):
        raise bad_request(f"{name} takes at most {MAX_PERIODS} short period names")
    return periods


def mixes_version(mixes: Sequence[GeneratedMix]) -> str:
    """Changes whenever a batch run rewrites the rows (each run stamps its own time)."""
    return f"{len(mixes)}-{max((m.generated_at for m in mixes), default=0)}"


def require_user(conn: sqlite3.Connection, user_id: int) -> None:
    if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
        raise not_found(f"no user {user_id}")


class LibraryService:
    """HTTP endpoints over users, plays, likes and playlist ownership."""

    def __init__(self, pool: ConnectionPool, settings: BackendSettings) -> None:
        self.pool = pool
        self.max_batch = settings.max_batch

    def routes(self) -> list[Route]:
        return [
            Route("/users", self.users),
            Route("/profile", self.profile),
            Route("/plays/recent", self.recent_plays),
            Route("/plays/counts", self.play_counts),
            Route("/plays", self.create_play, methods=["POST"]),
            Route("/likes", self.likes),
            Route("/playlists", self.playlists),
            Route("/mixes", self.mixes),
        ]

    def _user_id(self, request: Request) -> int:
        return parse_int(
            request.query_params, "user_id", default=None, minimum=0, maximum=2**63 - 1
        )

    def _page(self, request: Request, default_limit: int) -> tuple[int, int]:
        params = request.query_params
        offset = parse_int(params, "offset", default=0, minimum=0, maximum=1_000_000)
        limit = parse_int(params, "limit", default=default_limit, minimum=1, maximum=PAGE_MAX)
        return offset, limit

    def users(self, request: Request) -> Response:
        ids = parse_ids(request.query_params, "ids", max_batch=self.max_batch)
        return JSONResponse({"users": fetch_users(self.pool.reader(), ids) if ids else []})

    def profile(self, request: Request) -> Response:
        """What a personal screen needs of one listener, in one read: the user record, the
        latest plays and the play counts. ``since`` is the history version the caller holds;
        while it is still current the counts are left out (``null``).

        ``mixes`` (periods, as ``/mixes?valid_for=``) adds the listener's batch-built mixes
        for them, so Home needs no call of its own for them; ``mixes_since`` is the version
        of those the caller holds, and while it is current the rows are left out too."""
        params = request.query_params
        user_id = self._user_id(request)
        recent = parse_int(params, "recent", default=50, minimum=0, maximum=self.max_batch)
        periods = parse_periods(params["mixes"], "mixes") if "mixes" in params else None
        conn = self.pool.reader()
        (user,) = fetch_users(conn, [user_id])
        if user is None:
            raise not_found(f"no user {user_id}")
        # The version is read first: counts read after it may hold a newer play, which only
        # makes the caller fetch them again next time, never keep stale ones.
        version = history_version(conn, user_id)
        plays = conn.execute(
            "SELECT track_id, played_at, ms_played FROM plays WHERE user_id = ?"
            " ORDER BY played_at DESC, id DESC LIMIT ?",
            (user_id, recent),
        ).fetchall()
        counts = None if params.get("since") == version else fetch_play_counts(conn, [user_id])[0]
        answer: dict[str, Any] = {
            "user": user,
            "recent": [dict(row) for row in plays],
            "history": {"version": version, "counts": counts},
        }
        if periods is not None:
            mixes = read_mixes(conn, user_id, periods)
            held = params.get("mixes_since") == (current := mixes_version(mixes))
            answer["mixes"] = {
                "version": current,
                "items": None if held else [m.to_json() for m in mixes],
            }
        return JSONResponse(answer)

    def recent_plays(self, request: Request) -> Response:
        user_id = self._user_id(request)
        limit = parse_int(
            request.query_params, "limit", default=50, minimum=1, maximum=self.max_batch
        )
        conn = self.pool.reader()
        require_user(conn, user_id)
        rows = conn.execute(
            "SELECT track_id, played_at, ms_played FROM plays WHERE user_id = ?"
            " ORDER BY played_at DESC, id DESC LIMIT ?",
            (user_id, limit),
        ).fetchall()
        return JSONResponse({"plays": [dict(row) for row in rows]})

    def play_counts(self, request: Request) -> Response:
        ids = parse_ids(request.query_params, "user_ids", max_batch=self.max_batch)
        counts = fetch_play_counts(self.pool.reader(), ids) if ids else []
        return JSONResponse({"counts": counts})

    def likes(self, request: Request) -> Response:
        user_id = self._user_id(request)
        offset, limit = self._page(request, 20)
        conn = self.pool.reader()
        require_user(conn, user_id)
        total = conn.execute("SELECT count(*) FROM likes WHERE user_id = ?", (user_id,))
        rows = conn.execute(
            "SELECT track_id, liked_at FROM likes WHERE user_id = ?"
            " ORDER BY liked_at DESC, track_id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        ).fetchall()
        return JSONResponse({"total": total.fetchone()[0], "items": [dict(r) for r in rows]})

    def playlists(self, request: Request) -> Response:
        user_id = self._user_id(request)
        offset, limit = self._page(request, 20)
        conn = self.pool.reader()
        # public=1: only the public ones, counted too (what other listeners may see).
        public_only = parse_int(request.query_params, "public", default=0, minimum=0, maximum=1)
        require_user(conn, user_id)
        where = "owner_id = ?" + (" AND public = 1" if public_only else "")
        total = conn.execute(f"SELECT count(*) FROM playlists WHERE {where}", (user_id,))
        rows = conn.execute(
            f"SELECT id FROM playlists WHERE {where}"
            " ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        ).fetchall()
        return JSONResponse({"total": total.fetchone()[0], "playlist_ids": [r[0] for r in rows]})

    def mixes(self, request: Request) -> Response:
        """Batch-built mixes of a listener for the given periods (ISO weeks or days)."""
        user_id = self._user_id(request)
        periods = parse_periods(request.query_params.get("valid_for", ""), "valid_for")
        conn = self.pool.reader()
        require_user(conn, user_id)
        return JSONResponse({"mixes": [m.to_json() for m in read_mixes(conn, user_id, periods)]})

    async def create_play(self, request: Request) -> Response:
        body = await read_object(request)
        user_id = body_int(body, "user_id")
        track_id = body_int(body, "track_id")
        played_at = body_int(body, "played_at", required=False)
        ms_played = body_int(body, "ms_played", required=False)
        assert user_id is not None and track_id is not None
        play = await run_in_threadpool(self._insert_play, user_id, track_id, played_at, ms_played)
        return JSONResponse({"play": play}, status_code=201)

    def _insert_play(
        self, user_id: int, track_id: int, played_at: int | None, ms_played: int | None
    ) -> dict[str, Any]:
        with self.pool.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
                raise bad_request(f"unknown user_id {user_id}")
            track = conn.execute("SELECT duration_ms FROM tracks WHERE id = ?", (track_id,))
            row = track.fetchone()
            if row is None:
                raise bad_request(f"unknown track_id {track_id}")
            played_at = int(time.time() * 1000) if played_at is None else played_at
            # Without ms_played the whole track was heard.
            ms_played = row[0] if ms_played is None else ms_played
            cursor = conn.execute(
                "INSERT INTO plays (user_id, track_id, played_at, ms_played, simulated)"
                " VALUES (?, ?, ?, ?, 0)",
                (user_id, track_id, played_at, ms_played),
            )
        return {
            "id": cursor.lastrowid,
            "user_id": user_id,
            "track_id": track_id,
            "played_at": played_at,
            "ms_played": ms_played,
            "simulated": False,
        }
