"""Client of the playlists backend: headers, contents and edits.

Playlist headers are not cached across requests: an edit must show in the very next read,
on every replica. Editorial lists, which no listener can edit, are shared and cached with their
headers. Listeners' playlists are versioned data (``footprint.py``): reads and edits of them
are noted for the response cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from resolvers.clients.base import BackendClient
from resolvers.clients.cache import CountedCache
from resolvers.clients.footprint import LIBRARY, PLAYLIST, note_reads, note_writes, writing
from resolvers.clients.records import Page, PlaylistEntry, PlaylistRecord
from resolvers.clients.stale import cached_or_stale


def _playlist(body: dict[str, Any]) -> PlaylistRecord:
    return PlaylistRecord.from_json(body["playlist"])


class PlaylistsClient:
    def __init__(
        self, backend: BackendClient, *, shared_cache: CountedCache[tuple[Any, ...], Any]
    ) -> None:
        self.backend = backend
        self._shared = shared_cache
        # Playlists no edit can reach (editorial ones): reading them is not a versioned read.
        self._fixed: set[int] = set()

    async def playlists(self, ids: Sequence[int]) -> list[PlaylistRecord | None]:
        body = await self.backend.get("/playlists", {"ids": ",".join(map(str, ids))})
        records = [None if p is None else PlaylistRecord.from_json(p) for p in body["playlists"]]
        # A missing ID is noted too: a playlist created under it later changes the answer.
        for record in records:
            if record is not None and record.kind != "user":
                self._fixed.add(record.id)
        note_reads(PLAYLIST, [i for i in ids if i not in self._fixed])
        return records

    async def pages(self, ids: Sequence[int], *, offset: int, limit: int) -> list[Page]:
        note_reads(PLAYLIST, [i for i in ids if i not in self._fixed])
        body = await self.backend.get(
            "/playlists/tracks",
            {"ids": ",".join(map(str, ids)), "offset": offset, "limit": limit},
        )
        return [
            Page(
                total=int(page["total"]),
                items=tuple(
                    PlaylistEntry(
                        int(i["track_id"]),
                        int(i["added_at"]),
                        None if i.get("added_by") is None else int(i["added_by"]),
                    )
                    for i in page["items"]
                ),
            )
            for page in body["pages"]
        ]

    async def editorial(self) -> tuple[PlaylistRecord, ...]:
        """The editorial playlists, headers included. Shared and cached: no listener can edit
        them, so a cached header cannot hide an edit."""

        async def fetch() -> tuple[PlaylistRecord, ...]:
            body = await self.backend.get("/editorial", {"expand": "playlists"})
            records = tuple(PlaylistRecord.from_json(p) for p in body["playlists"])
            self._fixed.update(r.id for r in records)
            return records

        found: tuple[PlaylistRecord, ...] = await cached_or_stale(
            self._shared, ("editorial",), fetch
        )
        return found

    async def create(
        self, *, owner_id: int, name: str, description: str, public: bool
    ) -> PlaylistRecord:
        with writing((LIBRARY, owner_id)):
            body = await self.backend.post(
                "/playlists",
                {"owner_id": owner_id, "name": name, "description": description, "public": public},
            )
        record = _playlist(body)
        note_writes(PLAYLIST, [record.id])
        return record

    async def add(
        self,
        playlist_id: int,
        *,
        user_id: int,
        track_ids: Sequence[int],
        expected_snapshot_id: str | None,
        idempotency_key: str | None,
    ) -> PlaylistRecord:
        with writing((PLAYLIST, playlist_id), (LIBRARY, user_id)):
            body = await self.backend.post(
                f"/playlists/{playlist_id}/add",
                {
                    "user_id": user_id,
                    "track_ids": list(track_ids),
                    "expected_snapshot_id": expected_snapshot_id,
                    "idempotency_key": idempotency_key,
                },
            )
        return _playlist(body)

    async def remove(
        self,
        playlist_id: int,
        *,
        user_id: int,
        track_ids: Sequence[int],
        expected_snapshot_id: str | None,
    ) -> PlaylistRecord:
        with writing((PLAYLIST, playlist_id), (LIBRARY, user_id)):
            body = await self.backend.post(
                f"/playlists/{playlist_id}/remove",
                {
                    "user_id": user_id,
                    "track_ids": list(track_ids),
                    "expected_snapshot_id": expected_snapshot_id,
                },
            )
        return _playlist(body)
