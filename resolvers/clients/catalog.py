"""Client of the catalog backend: tracks, artists, albums and charts, cached across requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from resolvers.clients.base import BackendClient
from resolvers.clients.cache import CountedCache
from resolvers.clients.errors import BackendError
from resolvers.clients.records import AlbumRecord, ArtistRecord, TrackRecord
from resolvers.clients.stale import cached_or_stale, mark_stale

R = TypeVar("R")

# The backends take at most 500 IDs a call; stay well under it.
CHUNK = 250


async def fetch_cached(
    cache: CountedCache[int, R],
    ids: Sequence[int],
    fetch: Callable[[list[int]], Awaitable[list[R | None]]],
) -> list[R | None]:
    """Answer ``ids`` in order from ``cache``, fetching only the misses (in chunks).

    When the backend fails, the misses may still be answered from the cache's stale copy;
    only if one of them has none does the error reach the caller.
    """
    found, missing = cache.get_many(dict.fromkeys(ids))
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start : start + CHUNK]
        try:
            records = await fetch(chunk)
        except BackendError as error:
            stale = [cache.get_stale(key) for key in chunk]
            if any(record is None for record in stale):
                raise
            mark_stale(error.service)
            records = stale
        for key, record in zip(chunk, records, strict=True):
            if record is not None:
                cache.set(key, record)
                found[key] = record
    return [found.get(i) for i in ids]


def _ids(ids: Sequence[int]) -> str:
    return ",".join(str(i) for i in ids)


class CatalogClient:
    """Tracks, artists and albums by ID; the catalog changes rarely, so values are cached."""

    def __init__(
        self,
        backend: BackendClient,
        *,
        entity_cache: Callable[[str], CountedCache[int, Any]],
        shared_cache: CountedCache[tuple[Any, ...], Any],
    ) -> None:
        self.backend = backend
        self._tracks: CountedCache[int, TrackRecord] = entity_cache("catalog.tracks")
        self._artists: CountedCache[int, ArtistRecord] = entity_cache("catalog.artists")
        self._albums: CountedCache[int, AlbumRecord] = entity_cache("catalog.albums")
        self._shared = shared_cache

    async def tracks(self, ids: Sequence[int]) -> list[TrackRecord | None]:
        async def fetch(chunk: list[int]) -> list[TrackRecord | None]:
            body = await self.backend.get("/tracks", {"ids": _ids(chunk)})
            return [None if t is None else TrackRecord.from_json(t) for t in body["tracks"]]

        return await fetch_cached(self._tracks, ids, fetch)

    async def artists(self, ids: Sequence[int]) -> list[ArtistRecord | None]:
        async def fetch(chunk: list[int]) -> list[ArtistRecord | None]:
            body = await self.backend.get("/artists", {"ids": _ids(chunk)})
            return [None if a is None else ArtistRecord.from_json(a) for a in body["artists"]]

        return await fetch_cached(self._artists, ids, fetch)

    async def albums(self, ids: Sequence[int]) -> list[AlbumRecord | None]:
        async def fetch(chunk: list[int]) -> list[AlbumRecord | None]:
            body = await self.backend.get("/albums", {"ids": _ids(chunk)})
            return [None if a is None else AlbumRecord.from_json(a) for a in body["albums"]]

        return await fetch_cached(self._albums, ids, fetch)

    async def charts(self, *, genre: str | None = None, limit: int = 50) -> list[int]:
        """The most popular tracks, overall or in one genre (shared by every listener)."""
        params: dict[str, Any] = {"limit": limit}
        if genre:
            params["genre"] = genre

        async def fetch() -> list[int]:
            body = await self.backend.get("/charts", params)
            return [int(t) for t in body["track_ids"]]

        ids: list[int] = await cached_or_stale(self._shared, ("charts", genre, limit), fetch)
        return ids

    async def genres(self) -> dict[int, str]:
        """Genre names by ID (the ranking core knows genres by ID only)."""

        async def fetch() -> dict[int, str]:
            body = await self.backend.get("/genres")
            return {int(g["id"]): str(g["name"]) for g in body["genres"]}

        genres: dict[int, str] = await cached_or_stale(self._shared, ("genres",), fetch)
        return genres
