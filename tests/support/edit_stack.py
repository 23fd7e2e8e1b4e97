"""The processes playlist edits go through for real: ``crossfade backend playlists`` and
``crossfade serve`` pointed at it, over a private copy of the store; and what a test reads
back from them afterwards."""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.process import ServerProcess, backend_process, gateway_process
from tests.support.store import STORE, copy_store


@dataclass
class EditStack:
    store: Path
    playlists: ServerProcess
    gateway: ServerProcess

    def entries(self, playlist_key: int) -> list[int]:
        """The playlist's track IDs in order, read from the playlists service itself."""
        response = httpx.get(
            f"{self.playlists.url}/playlists/tracks",
            params={"ids": playlist_key, "limit": 500},
            timeout=10,
        )
        response.raise_for_status()
        page = response.json()["pages"][0]
        assert page["total"] == len(page["items"]), "track_count disagrees with the entries"
        return [item["track_id"] for item in page["items"]]

    def backend_statuses(self, status: str) -> float:
        """How many playlists-service answers with ``status`` the gateway has counted."""
        text = httpx.get(f"{self.gateway.url}/metrics", timeout=10).text
        total = 0.0
        for line in text.splitlines():
            if line.startswith("crossfade_backend_requests_total{") and all(
                label in line for label in ('backend="playlists"', f'status="{status}"')
            ):
                total += float(line.rsplit(" ", 1)[1])
        return total


@contextmanager
def edit_stack(source: Path, root: Path) -> Iterator[EditStack]:
    """Both processes over a copy of ``source`` made in ``root``, stopped after the block."""
    store = copy_store(source, root / "store")
    with backend_process("playlists", store) as playlists:
        gateway = gateway_process(
            store,
            log=root / "gateway.log",
            CROSSFADE_PLAYLISTS_URL=playlists.url,
            # Many devices of one listener, flat out, are far above a listener's fair rate:
            # not what these tests are about.
            CROSSFADE_RATE_LIMIT="false",
            # Nor is shedding a burst of edits that one serialised writer takes a while to
            # absorb (or that stall while it restarts): admission control would answer 503.
            CROSSFADE_MAX_CONCURRENT_EXECUTIONS="1000",
            # 50 writers serialised on one SQLite writer (an fsync each) on a 2-core machine
            # running the rest of the suite: the 2 s default timeout would turn a slow but
            # correct edit into BACKEND_TIMEOUT, which is not what these tests are about.
            CROSSFADE_BACKEND_TIMEOUT_S="10",
            CROSSFADE_REQUEST_DEADLINE_S="15",
        )
        with gateway:
            yield EditStack(store, playlists, gateway)


def track_keys(store: Path, count: int, offset: int) -> list[int]:
    with sqlite3.connect(store / STORE) as conn:
        rows = conn.execute(
            "SELECT id FROM tracks ORDER BY id LIMIT ? OFFSET ?", (count, offset)
        ).fetchall()
    assert len(rows) == count
    return [row[0] for row in rows]


def playlist_key(global_id: str) -> int:
    type_name, _, key = base64.b64decode(global_id).decode().partition(":")
    assert type_name == "Playlist"
    return int(key)
