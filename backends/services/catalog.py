"""The catalog service: tracks, artists, albums, top tracks, charts and genres.

Batched reads run one query per table for the whole batch (never one per ID) and answer in
key order with ``None`` for an unknown ID.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backends.http import JSONResponse, parse_ids, parse_int
from backends.services.pool import ConnectionPool
from backends.settings import BackendSettings

FEATURES = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
)


def placeholders(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def unique(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def grouped(rows: list[sqlite3.Row]) -> dict[int, list[Any]]:
    """``(key, value)`` rows to ``{key: [value, ...]}``, keeping row order."""
    groups: dict[int, list[Any]] = defaultdict(list)
    for key, value in rows:
        groups[key].append(value)
    return groups


def fetch_tracks(conn: sqlite3.Connection, ids: Sequence[int]) -> list[dict[str, Any] | None]:
    keys = unique(ids)
    marks = placeholders(keys)
    rows = conn.execute(
        f"SELECT t.*, g.name AS genre FROM tracks t JOIN genres g ON g.id = t.genre_id"
        f" WHERE t.id IN ({marks})",
        keys,
    ).fetchall()
    artists = grouped(
        conn.execute(
            f"SELECT track_id, artist_id FROM track_artists WHERE track_id IN ({marks})"
            " ORDER BY track_id, position",
            keys,
        ).fetchall()
    )
    genres = grouped(
        conn.execute(
            f"SELECT tg.track_id, g.name FROM track_genres tg JOIN genres g ON g.id = tg.genre_id"
            f" WHERE tg.track_id IN ({marks}) ORDER BY tg.track_id, g.name",
            keys,
        ).fetchall()
    )
    found = {}
    for row in rows:
        track_id = row["id"]
        features = {name: row[name] for name in FEATURES if name != "key"}
        features["key"] = row["musical_key"]
        found[track_id] = {
            "id": track_id,
            "name": row["name"],
            "album_id": row["album_id"],
            "artist_ids": artists.get(track_id, []),
            "genre": row["genre"],
            # The track's own genre first, as in the source file.
            "genres": [row["genre"]] + [g for g in genres.get(track_id, []) if g != row["genre"]],
            "duration_ms": row["duration_ms"],
            "explicit": bool(row["explicit"]),
            "popularity": row["popularity"],
            "features": {name: features[name] for name in FEATURES},
        }
    return [found.get(i) for i in ids]


def fetch_artists(conn: sqlite3.Connection, ids: Sequence[int]) -> list[dict[str, Any] | None]:
    keys = unique(ids)
    marks = placeholders(keys)
    rows = conn.execute(
        f"SELECT a.id, a.name, a.popularity,"
        f" (SELECT count(*) FROM track_artists ta WHERE ta.artist_id = a.id) AS track_count"
        f" FROM artists a WHERE a.id IN ({marks})",
        keys,
    ).fetchall()
    # An artist's genres are those of its tracks, the most frequent first.
    genres = grouped(
        conn.execute(
            f"SELECT ta.artist_id, g.name FROM track_artists ta"
            f" JOIN track_genres tg ON tg.track_id = ta.track_id"
            f" JOIN genres g ON g.id = tg.genre_id"
            f" WHERE ta.artist_id IN ({marks}) GROUP BY ta.artist_id, g.id"
            f" ORDER BY ta.artist_id, count(*) DESC, g.name",
            keys,
        ).fetchall()
    )
    found = {
        row["id"]: {
            "id": row["id"],
            "name": row["name"],
            "popularity": row["popularity"],
            "genres": genres.get(row["id"], []),
            "track_count": row["track_count"],
        }
        for row in rows
    }
    return [found.get(i) for i in ids]


def fetch_albums(conn: sqlite3.Connection, ids: Sequence[int]) -> list[dict[str, Any] | None]:
    keys = unique(ids)
    marks = placeholders(keys)
    rows = conn.execute(
        f"SELECT id, name, popularity FROM albums WHERE id IN ({marks})", keys
    ).fetchall()
    artists = grouped(
        conn.execute(
            f"SELECT album_id, artist_id FROM album_artists WHERE album_id IN ({marks})"
            " ORDER BY album_id, position",
            keys,
        ).fetchall()
    )
    tracks = grouped(
        conn.execute(
            f"SELECT album_id, id FROM tracks WHERE album_id IN ({marks}) ORDER BY album_id, id",
            keys,
        ).fetchall()
    )
    found = {
        row["id"]: {
            "id": row["id"],
            "name": row["name"],
            "artist_ids": artists.get(row["id"], []),
            "popularity": row["popularity"],
            "track_ids": tracks.get(row["id"], []),
        }
        for row in rows
    }
    return [found.get(i) for i in ids]


def fetch_entities(
    conn: sqlite3.Connection,
    track_ids: Sequence[int],
    album_ids: Sequence[int],
    artist_ids: Sequence[int],
) -> dict[str, list[dict[str, Any]]]:
    """The tracks, albums and artists asked for, with everything they point at: each track's
    album and artists, and each album's artists. Unknown IDs are left out."""

    def found(fetch: Any, ids: list[int]) -> list[dict[str, Any]]:
        return [row for row in fetch(conn, ids) if row is not None] if ids else []

    tracks = found(fetch_tracks, unique(track_ids))
    albums = found(fetch_albums, unique([*album_ids, *(t["album_id"] for t in tracks)]))
    artists = found(
        fetch_artists,
        unique(
            [
                *artist_ids,
                *(a for t in tracks for a in t["artist_ids"]),
                *(a for al in albums for a in al["artist_ids"]),
            ]
        ),
    )
    return {"tracks": tracks, "albums": albums, "artists": artists}


def fetch_top_tracks(conn: sqlite3.Connection, ids: Sequence[int], limit: int) -> list[list[int]]:
    """Each artist's most popular tracks; an unknown artist simply has none."""
    keys = unique(ids)
    top = grouped(
        conn.execute(
            f"SELECT artist_id, track_id FROM ("
            f" SELECT ta.artist_id, ta.track_id, row_number() OVER ("
            f"  PARTITION BY ta.artist_id ORDER BY t.popularity DESC, t.id) AS rank"
            f" FROM track_artists ta JOIN tracks t ON t.id = ta.track_id"
            f" WHERE ta.artist_id IN ({placeholders(keys)}))"
            f" WHERE rank <= ? ORDER BY artist_id, rank",
            [*keys, limit],
        ).fetchall()
    )
    return [top.get(i, []) for i in ids]


def fetch_charts(conn: sqlite3.Connection, genre: str | None, limit: int) -> list[int]:
    if genre is None:
        sql = "SELECT id FROM tracks ORDER BY popularity DESC, id LIMIT ?"
        return [row[0] for row in conn.execute(sql, (limit,))]
    # Any of the track's genres counts, not only its first one.
    sql = (
        "SELECT t.id FROM tracks t JOIN track_genres tg ON tg.track_id = t.id"
        " JOIN genres g ON g.id = tg.genre_id WHERE g.name = ?"
        " ORDER BY t.popularity DESC, t.id LIMIT ?"
    )
    return [row[0] for row in conn.execute(sql, (genre, limit))]


def fetch_genres(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT g.id, g.name, count(tg.track_id) AS track_count FROM genres g"
        " LEFT JOIN track_genres tg ON tg.genre_id = g.id GROUP BY g.id ORDER BY g.id"
    ).fetchall()
    return [dict(row) for row in rows]


class CatalogService:
    """HTTP endpoints over the catalog tables (read-only)."""

    def __init__(self, pool: ConnectionPool, settings: BackendSettings) -> None:
        self.pool = pool
        self.max_batch = settings.max_batch
        # The catalog never changes while a service runs (a rebuilt store means a restart),
        # and counting genres scans track_genres, so the answer is computed once.
        self._genres: list[dict[str, Any]] | None = None

    def routes(self) -> list[Route]:
        return [
            Route("/tracks", self.tracks),
            Route("/artists", self.artists),
            Route("/artists/top-tracks", self.top_tracks),
            Route("/albums", self.albums),
            Route("/entities", self.entities),
            Route("/charts", self.charts),
            Route("/genres", self.genres),
        ]

    def tracks(self, request: Request) -> Response:
        ids = parse_ids(request.query_params, "ids", max_batch=self.max_batch)
        return JSONResponse({"tracks": fetch_tracks(self.pool.reader(), ids) if ids else []})

    def artists(self, request: Request) -> Response:
        ids = parse_ids(request.query_params, "ids", max_batch=self.max_batch)
        return JSONResponse({"artists": fetch_artists(self.pool.reader(), ids) if ids else []})

    def albums(self, request: Request) -> Response:
        ids = parse_ids(request.query_params, "ids", max_batch=self.max_batch)
        return JSONResponse({"albums": fetch_albums(self.pool.reader(), ids) if ids else []})

    def entities(self, request: Request) -> Response:
        params = request.query_params

        def ids(name: str) -> list[int]:
            if name not in params:
                return []
            return parse_ids(params, name, max_batch=self.max_batch)

        found = fetch_entities(
            self.pool.reader(), ids("track_ids"), ids("album_ids"), ids("artist_ids")
        )
        return JSONResponse(found)

    def top_tracks(self, request: Request) -> Response:
        params = request.query_params
        ids = parse_ids(params, "ids", max_batch=self.max_batch)
        limit = parse_int(params, "limit", default=10, minimum=1, maximum=100)
        top = fetch_top_tracks(self.pool.reader(), ids, limit) if ids else []
        return JSONResponse({"top_tracks": top})

    def charts(self, request: Request) -> Response:
        params = request.query_params
        limit = parse_int(params, "limit", default=50, minimum=1, maximum=self.max_batch)
        genre = params.get("genre") or None
        return JSONResponse({"track_ids": fetch_charts(self.pool.reader(), genre, limit)})

    def genres(self, request: Request) -> Response:
        if self._genres is None:
            self._genres = fetch_genres(self.pool.reader())
        return JSONResponse({"genres": self._genres})
