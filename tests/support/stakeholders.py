"""The stakeholders' queries as requests, with variables that name real data of a store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from resolvers.global_id import to_global_id
from tests.support.repo import operation

QUERIES = ("HomeFeed", "Library", "MadeForYou", "Node", "Playlist", "Search")


def editorial_playlist(data_dir: Path) -> str:
    """The global ID of the store's first editorial playlist."""
    with sqlite3.connect(data_dir / "crossfade.db") as conn:
        (pid,) = conn.execute(
            "SELECT id FROM playlists WHERE kind = 'editorial' ORDER BY id LIMIT 1"
        ).fetchone()
    return to_global_id("Playlist", pid)


def stakeholder_queries(data_dir: Path) -> list[dict[str, Any]]:
    """Every stakeholder query (the mutations change what the next one reads)."""
    variables: dict[str, dict[str, Any]] = {
        "Node": {"id": to_global_id("Track", 1)},
        "Playlist": {"id": editorial_playlist(data_dir)},
        "Search": {"q": "metalica"},
    }
    return [
        {"query": operation(name), "variables": variables.get(name, {}), "operationName": name}
        for name in QUERIES
    ]
