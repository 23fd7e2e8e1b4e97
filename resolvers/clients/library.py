"""Client of the library backend: listeners, listening history, likes, owned playlists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from resolvers.clients.base import BackendClient
from resolvers.clients.cache import CountedCache
from resolvers.clients.catalog import fetch_cached
from resolvers.clients.footprint import HISTORY, LIBRARY, note_reads, writing
from resolvers.clients.records import Page, Play, UserRecord


class LibraryClient:
    """Personal data: profile values are cached; history is read fresh (it changes each play)."""

    def __init__(
        self,
        backend: BackendClient,
        *,
        entity_cache: Callable[[str], CountedCache[int, Any]],
    ) -> None:
        self.backend = backend
        self._users: CountedCache[int, UserRecord] = entity_cache("library.users")

    async def users(self, ids: Sequence[int]) -> list[UserRecord | None]:
        async def fetch(chunk: list[int]) -> list[UserRecord | None]:
            body = await self.backend.get("/users", {"ids": ",".join(map(str, chunk))})
            return [None if u is None else UserRecord.from_json(u) for u in body["users"]]

        return await fetch_cached(self._users, ids, fetch)

    async def recent_plays(self, user_id: int, *, limit: int = 50) -> list[Play]:
        note_reads(HISTORY, [user_id])
        body = await self.backend.get("/plays/recent", {"user_id": user_id, "limit": limit})
        return [
            Play(int(p["track_id"]), int(p["played_at"]), int(p.get("ms_played", 0)))
            for p in body["plays"]
        ]

    async def play_counts(self, user_ids: Sequence[int]) -> list[dict[int, float]]:
        note_reads(HISTORY, user_ids)
        body = await self.backend.get("/plays/counts", {"user_ids": ",".join(map(str, user_ids))})
        return [{int(k): float(v) for k, v in counts.items()} for counts in body["counts"]]

    async def record_play(self, user_id: int, track_id: int, played_at: int) -> Play:
        with writing((HISTORY, user_id)):
            body = await self.backend.post(
                "/plays", {"user_id": user_id, "track_id": track_id, "played_at": played_at}
            )
        p = body["play"]
        return Play(int(p["track_id"]), int(p["played_at"]), int(p.get("ms_played", 0)))

    async def likes(self, user_id: int, *, offset: int, limit: int) -> Page:
        note_reads(LIBRARY, [user_id])
        body = await self.backend.get(
            "/likes", {"user_id": user_id, "offset": offset, "limit": limit}
        )
        items = tuple((int(i["track_id"]), int(i["liked_at"])) for i in body["items"])
        return Page(total=int(body["total"]), items=items)

    async def playlists(
        self, user_id: int, *, offset: int, limit: int, public_only: bool = False
    ) -> Page:
        note_reads(LIBRARY, [user_id])
        params = {"user_id": user_id, "offset": offset, "limit": limit}
        if public_only:
            params["public"] = 1
        body = await self.backend.get("/playlists", params)
        return Page(total=int(body["total"]), items=tuple(int(i) for i in body["playlist_ids"]))
