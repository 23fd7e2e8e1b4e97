"""A playlist about to be written, and the one place that writes playlists.

Editorial and simulated user playlists differ only in who owns them and how tracks are
picked; both go through :func:`write_playlists` so IDs, ``track_count`` and ``version`` are
set the same way.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class PlaylistDraft:
    owner_id: int | None  # None for editorial playlists
    name: str
    description: str
    public: bool
    kind: str  # 'user' or 'editorial'
    tag: str | None
    created_at: int  # unix ms
    track_ids: list[int]  # store IDs, playlist order
    added_at: list[int]  # unix ms per entry, non-decreasing


def write_playlists(conn: sqlite3.Connection, drafts: list[PlaylistDraft], first_id: int) -> int:
    """Insert ``drafts`` with IDs from ``first_id``; return the next free playlist ID."""
    playlist_rows: list[tuple[object, ...]] = []
    entry_rows: list[tuple[int, int, int, int | None]] = []
    for offset, draft in enumerate(drafts):
        playlist_id = first_id + offset
        updated_at = max([draft.created_at, *draft.added_at])
        playlist_rows.append(
            (
                playlist_id,
                draft.owner_id,
                draft.name,
                draft.description,
                int(draft.public),
                draft.kind,
                draft.tag,
                1,
                len(draft.track_ids),
                draft.created_at,
                updated_at,
            )
        )
        entry_rows.extend(
            (playlist_id, track_id, added_at, draft.owner_id)
            for track_id, added_at in zip(draft.track_ids, draft.added_at, strict=True)
        )
    conn.executemany(
        "INSERT INTO playlists (id, owner_id, name, description, public, kind, tag, version,"
        " track_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        playlist_rows,
    )
    # Entry IDs are left to SQLite: they only need to grow in insertion (= playlist) order.
    conn.executemany(
        "INSERT INTO playlist_tracks (playlist_id, track_id, added_at, added_by)"
        " VALUES (?, ?, ?, ?)",
        entry_rows,
    )
    return first_id + len(drafts)
