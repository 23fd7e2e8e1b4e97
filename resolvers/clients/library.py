"""Client of the library backend: listeners, listening history, likes, owned playlists.

A listener's history is read with their profile (``/profile``) on every personal request, so a
play recorded a second ago, by any replica, is already in it. The counts themselves are kept
per listener with the history version they belong to and sent only when the version changed.
The batch job's mixes ride the same call, kept and sent the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from resolvers.clients.base import BackendClient
from resolvers.clients.cache import CountedCache
from resolvers.clients.catalog import fetch_cached
from resolvers.clients.errors import BackendUnavailable, NotFound
from resolvers.clients.footprint import HISTORY, LIBRARY, note_reads, writing
from resolvers.clients.records import (
    BatchMixes,
    BatchMixRecord,
    History,
    Page,
    Play,
    Profile,
    UserRecord,
)

RECENT_PLAYS = 50


class LibraryClient:
    """Personal data: profile values are cached; history is read fresh (it changes each play)."""

    def __init__(
        self,
        backend: BackendClient,
        *,
        entity_cache: Callable[[str], CountedCache[int, Any]],
        histories: CountedCache[int, History],
        batch_mixes: CountedCache[int, BatchMixes],
    ) -> None:
        self.backend = backend
        self._users: CountedCache[int, UserRecord] = entity_cache("library.users")
        # Personal: keyed by the listener, read only for that listener's own requests.
        self._histories = histories
        self._batch_mixes = batch_mixes

    async def users(self, ids: Sequence[int]) -> list[UserRecord | None]:
        async def fetch(chunk: list[int]) -> list[UserRecord | None]:
            body = await self.backend.get("/users", {"ids": ",".join(map(str, chunk))})
            return [None if u is None else UserRecord.from_json(u) for u in body["users"]]

        return await fetch_cached(self._users, ids, fetch)

    async def profile(self, user_id: int, periods: Sequence[str] = ()) -> Profile | None:
        """The listener's user record, latest plays and history, and the batch job's mixes
        for ``periods`` (none asked, none read); None for an unknown ID."""
        held = self._histories.get(user_id)
        params: dict[str, Any] = {"user_id": user_id, "recent": RECENT_PLAYS}
        if held is not None:
            params["since"] = held.version
        held_mixes = self._batch_mixes.get(user_id) if periods else None
        if periods:
            params["mixes"] = ",".join(periods)
            if held_mixes is not None and held_mixes.periods == tuple(periods):
                params["mixes_since"] = held_mixes.version
        try:
            body = await self.backend.get("/profile", params)
        except NotFound:
            return None
        answer = body["history"]
        if answer["counts"] is not None:
            history = History.from_json(str(answer["version"]), answer["counts"])
            self._histories.set(user_id, history)
        elif held is not None and held.version == answer["version"]:
            history = held
        else:  # counts are left out only for the version sent
            raise self._malformed()
        mixes = self._mixes(user_id, tuple(periods), body.get("mixes"), held_mixes)
        user = UserRecord.from_json(body["user"])
        self._users.set(user.id, user)
        recent = tuple(
            Play(int(p["track_id"]), int(p["played_at"]), int(p.get("ms_played", 0)))
            for p in body["recent"]
        )
        return Profile(user, recent, history, mixes)

    def _mixes(
        self,
        user_id: int,
        periods: tuple[str, ...],
        answer: dict[str, Any] | None,
        held: BatchMixes | None,
    ) -> tuple[BatchMixRecord, ...]:
        if not periods:
            return ()
        if answer is None:
            raise self._malformed()
        version = str(answer["version"])
        if answer["items"] is not None:
            items = tuple(BatchMixRecord.from_json(m) for m in answer["items"])
            self._batch_mixes.set(user_id, BatchMixes(periods, version, items))
            return items
        if held is not None and (held.periods, held.version) == (periods, version):
            return held.items
        raise self._malformed()  # rows are left out only for the version sent

    def _malformed(self) -> BackendUnavailable:
        return BackendUnavailable(
            "The library service sent a malformed answer.", service=self.backend.name
        )

    def stale_user(self, user_id: int) -> UserRecord | None:
        """The last user record read for ``user_id``, for when the library is failing."""
        return self._users.get(user_id) or self._users.get_stale(user_id)

    async def recent_plays(self, user_id: int, *, limit: int = 50) -> list[Play]:
        note_reads(HISTORY, [user_id])
        body = await self.backend.get("/plays/recent", {"user_id": user_id, "limit": limit})
        return [
            Play(int(p["track_id"]), int(p["played_at"]), int(p.get("ms_played", 0)))
            for p in body["plays"]
        ]

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
