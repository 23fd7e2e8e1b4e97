"""Playlist edits as real clients make them, against a real gateway and playlists process.

``EditStack`` runs ``crossfade backend playlists`` and ``crossfade serve`` (pointed at it)
as processes over a private copy of the store. ``Editor`` is one listener's client: it reads
the snapshot, edits with ``expectedSnapshotId`` and an idempotency key, and on CONFLICT
re-reads and retries a bounded number of times, counting what happened.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from resolvers.global_id import to_global_id
from tests.conftest import bearer, operation
from tests.resilience.processes import REPO, BackendProcess, free_port

EDITS = operation("PlaylistEdits")
SNAPSHOT = "query Snapshot($id: ID!) { playlist(id: $id) { snapshotId } }"


class GatewayProcess:
    """``crossfade serve`` on loopback, its log kept in a file (a pipe could fill and block)."""

    def __init__(self, data_dir: Path, log_path: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._env = {**os.environ, "CROSSFADE_DATA_DIR": str(data_dir), **env}
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> GatewayProcess:
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "serve", "--port", str(self.port)],
                cwd=REPO,
                env=self._env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {self._proc.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"gateway not healthy after {timeout_s}s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)


@dataclass
class EditStack:
    store: Path
    playlists: BackendProcess
    gateway: GatewayProcess

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


def track_keys(store: Path, count: int, offset: int) -> list[int]:
    import sqlite3

    with sqlite3.connect(store / "crossfade.db") as conn:
        rows = conn.execute(
            "SELECT id FROM tracks ORDER BY id LIMIT ? OFFSET ?", (count, offset)
        ).fetchall()
    assert len(rows) == count
    return [row[0] for row in rows]


def playlist_key(global_id: str) -> int:
    import base64

    type_name, _, key = base64.b64decode(global_id).decode().partition(":")
    assert type_name == "Playlist"
    return int(key)


@dataclass(frozen=True)
class Ack:
    """An edit the gateway acknowledged, and the variables of the attempt that got through."""

    data: dict[str, Any]
    variables: dict[str, Any]


@dataclass
class Editor:
    """One device of a listener, editing through the gateway."""

    client: httpx.AsyncClient
    user: str
    max_attempts: int = 40
    conflicts: int = 0
    other_errors: list[str] = field(default_factory=list)

    async def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post("/graphql", json=body, headers=bearer(self.user))
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def create(self, name: str) -> str:
        answer = await self._post(
            {
                "query": EDITS,
                "operationName": "CreatePlaylist",
                "variables": {"name": name, "public": False},
            }
        )
        assert "errors" not in answer, answer
        playlist_id: str = answer["data"]["createPlaylist"]["playlist"]["id"]
        return playlist_id

    async def snapshot(self, playlist_id: str) -> str:
        answer = await self._post({"query": SNAPSHOT, "variables": {"id": playlist_id}})
        assert "errors" not in answer, answer
        snapshot: str = answer["data"]["playlist"]["snapshotId"]
        return snapshot

    async def edit(self, op: str, playlist_id: str, track: int, key: str | None = None) -> Ack:
        """Apply one edit at the current snapshot, re-reading it after each CONFLICT.

        Returns the acknowledgement; fails the test if the edit never got through.
        """
        variables: dict[str, Any] = {
            "playlistId": playlist_id,
            "trackIds": [to_global_id("Track", track)],
        }
        if key is not None:
            variables["idempotencyKey"] = key
        for attempt in range(self.max_attempts):
            variables["expectedSnapshotId"] = await self.snapshot(playlist_id)
            answer = await self._post({"query": EDITS, "operationName": op, "variables": variables})
            codes = [e["extensions"]["code"] for e in answer.get("errors", [])]
            if not codes:
                return Ack(answer["data"], dict(variables))
            if codes == ["CONFLICT"]:
                self.conflicts += 1
                # Jittered exponential backoff spreads the retries of contending editors.
                await anyio.sleep(random.uniform(0, min(0.25, 0.004 * 2**attempt)))
                continue
            self.other_errors.append(f"{op} {track}: {answer['errors']}")
            raise AssertionError(self.other_errors[-1])
        raise AssertionError(f"{op} {track} conflicted {self.max_attempts} times in a row")

    async def send(self, op: str, variables: dict[str, Any]) -> dict[str, Any]:
        """One attempt, as sent (a retry after a lost answer sends the same again)."""
        return await self._post({"query": EDITS, "operationName": op, "variables": variables})


def idempotency_key() -> str:
    return uuid.uuid4().hex
