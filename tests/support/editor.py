"""One device of a listener editing playlists through the gateway as real clients do: read
the snapshot, edit with ``expectedSnapshotId`` (and an idempotency key), and on CONFLICT
re-read and retry a bounded number of times, counting what happened."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from resolvers.global_id import to_global_id
from tests.support.graphql import Body, execute
from tests.support.repo import operation

EDITS = operation("PlaylistEdits")
SNAPSHOT = "query Snapshot($id: ID!) { playlist(id: $id) { snapshotId } }"


def idempotency_key() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Ack:
    """An edit the gateway acknowledged, and the variables of the attempt that got through."""

    data: dict[str, Any]
    variables: dict[str, Any]


@dataclass
class Editor:
    client: httpx.AsyncClient
    user: str
    max_attempts: int = 40
    conflicts: int = 0
    other_errors: list[str] = field(default_factory=list)

    async def create(self, name: str) -> str:
        answer = await self.send("CreatePlaylist", {"name": name, "public": False})
        assert "errors" not in answer, answer
        playlist_id: str = answer["data"]["createPlaylist"]["playlist"]["id"]
        return playlist_id

    async def snapshot(self, playlist_id: str) -> str:
        answer = await execute(self.client, SNAPSHOT, {"id": playlist_id}, user=self.user)
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
            answer = await self.send(op, variables)
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

    async def send(self, op: str, variables: dict[str, Any]) -> Body:
        """One attempt of edit ``op``, as sent (a retry after a lost answer sends the same)."""
        return await execute(self.client, EDITS, variables, user=self.user, operation_name=op)
