"""Client of the catalog backend: tracks, artists, albums and charts, cached across requests.

Entities are read as a closure (``/entities``): asking for tracks brings their albums and
artists along, so turning any list of IDs into views costs at most one call, and none once
the entity caches hold them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
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


def _lookup(
    cache: CountedCache[int, R],
    keys: Iterable[int],
    into: dict[int, R],
    missing: dict[int, None],
    counts: dict[str, int],
) -> list[R]:
    """Copy the cached records of ``keys`` not yet in ``into``; note the others as missing.
    Answers the records it copied; adds its hits and misses to ``counts``."""
    copied: list[R] = []
    misses = 0
    for key in keys:
        if key in into or key in missing:
            continue
        record = cache.peek(key)
        if record is None:
            missing[key] = None
            misses += 1
        else:
            into[key] = record
            copied.append(record)
    cache.count(len(copied), misses, traced=False)
    counts["crossfade.cache.keys"] = counts.get("crossfade.cache.keys", 0) + len(copied) + misses
    counts["crossfade.cache.hits"] = counts.get("crossfade.cache.hits", 0) + len(copied)
    if misses:  # which of the caches sent keys to the backend
        counts[f"crossfade.cache.{cache.name}.misses"] = misses
    return copied


@dataclass(slots=True)
class EntitySet:
    """Catalog records by ID, filled as they are found."""

    tracks: dict[int, TrackRecord] = field(default_factory=dict)
    albums: dict[int, AlbumRecord] = field(default_factory=dict)
    artists: dict[int, ArtistRecord] = field(default_factory=dict)


@dataclass(slots=True)
class EntityKeys:
    """IDs still to fetch, by kind (kept in first-asked order, without repeats)."""

    tracks: dict[int, None] = field(default_factory=dict)
    albums: dict[int, None] = field(default_factory=dict)
    artists: dict[int, None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.tracks or self.albums or self.artists)

    def update(self, other: EntityKeys) -> None:
        self.tracks.update(other.tracks)
        self.albums.update(other.albums)
        self.artists.update(other.artists)

    def take(self, other: EntityKeys) -> bool:
        """Drop the keys ``other`` holds; whether there were any."""
        taken = False
        for mine, theirs in (
            (self.tracks, other.tracks),
            (self.albums, other.albums),
            (self.artists, other.artists),
        ):
            for key in [k for k in mine if k in theirs]:
                del mine[key]
                taken = True
        return taken


class CatalogClient:
    """Tracks, artists and albums by ID; the catalog changes rarely, so values are cached."""

    def __init__(
        self,
        backend: BackendClient,
        *,
        entity_cache: Callable[[str], CountedCache[int, Any]],
        shared_cache: CountedCache[tuple[Any, ...], Any],
        track_views: CountedCache[int, Any],
    ) -> None:
        self.backend = backend
        self._tracks: CountedCache[int, TrackRecord] = entity_cache("catalog.tracks")
        self._artists: CountedCache[int, ArtistRecord] = entity_cache("catalog.artists")
        self._albums: CountedCache[int, AlbumRecord] = entity_cache("catalog.albums")
        self._shared = shared_cache
        # Views the resolvers join from these records (opaque here), kept as long as them.
        self.track_views = track_views

    def lookup(
        self,
        into: EntitySet,
        *,
        tracks: Iterable[int] = (),
        albums: Iterable[int] = (),
        artists: Iterable[int] = (),
    ) -> EntityKeys:
        """Copy what the caches hold of these IDs and of what they point at into ``into``;
        answer the IDs left to fetch. No I/O."""
        missing = EntityKeys()
        album_ids: list[int] = list(albums)
        artist_ids: list[int] = list(artists)
        counts: dict[str, int] = {}
        for track in _lookup(self._tracks, tracks, into.tracks, missing.tracks, counts):
            album_ids.append(track.album_id)
            artist_ids.extend(track.artist_ids)
        for album in _lookup(self._albums, album_ids, into.albums, missing.albums, counts):
            artist_ids.extend(album.artist_ids)
        _lookup(self._artists, artist_ids, into.artists, missing.artists, counts)
        spans = self._tracks.spans
        if spans is not None:
            # One lookup of the three entity caches, one span (the misses per cache inside).
            span = spans.cache_lookup("catalog.entities")
            span.set_attributes(counts)
            span.end()
        return missing

    async def fetch(self, keys: EntityKeys, into: EntitySet) -> None:
        """Fetch ``keys`` (with what they point at) into ``into`` and the caches: one call per
        ``CHUNK`` IDs of each kind, so one call in practice.

        When the backend fails, each key may still be answered from its stale copy; only if
        one of them has none does the error reach the caller.
        """
        tracks, albums, artists = list(keys.tracks), list(keys.albums), list(keys.artists)
        while tracks or albums or artists:
            chunk = EntityKeys(
                dict.fromkeys(tracks[:CHUNK]),
                dict.fromkeys(albums[:CHUNK]),
                dict.fromkeys(artists[:CHUNK]),
            )
            tracks, albums, artists = tracks[CHUNK:], albums[CHUNK:], artists[CHUNK:]
            params = {
                name: _ids(list(ids))
                for name, ids in (
                    ("track_ids", chunk.tracks),
                    ("album_ids", chunk.albums),
                    ("artist_ids", chunk.artists),
                )
                if ids
            }
            try:
                body = await self.backend.get("/entities", params)
            except BackendError as error:
                self._stale_into(chunk, into, error)
                continue
            for t in body["tracks"]:
                track = TrackRecord.from_json(t)
                self._tracks.set(track.id, track)
                into.tracks[track.id] = track
            for a in body["albums"]:
                album = AlbumRecord.from_json(a)
                self._albums.set(album.id, album)
                into.albums[album.id] = album
            for a in body["artists"]:
                artist = ArtistRecord.from_json(a)
                self._artists.set(artist.id, artist)
                into.artists[artist.id] = artist

    def _stale_into(self, keys: EntityKeys, into: EntitySet, error: BackendError) -> None:
        tracks = {k: self._tracks.get_stale(k) for k in keys.tracks}
        albums = {k: self._albums.get_stale(k) for k in keys.albums}
        artists = {k: self._artists.get_stale(k) for k in keys.artists}
        if None in (*tracks.values(), *albums.values(), *artists.values()):
            raise error
        mark_stale(error.service)
        # What the stale tracks and albums point at comes from the stale copies too; a
        # reference no copy holds is left out, as an unknown ID would be.
        album_ids = [t.album_id for t in tracks.values() if t and t.album_id not in into.albums]
        albums.update({k: self._albums.get_stale(k) for k in album_ids if k not in albums})
        artists.update(
            {
                k: self._artists.get_stale(k)
                for record in (*tracks.values(), *albums.values())
                if record is not None
                for k in record.artist_ids
                if k not in into.artists and k not in artists
            }
        )
        into.tracks.update({k: v for k, v in tracks.items() if v is not None})
        into.albums.update({k: v for k, v in albums.items() if v is not None})
        into.artists.update({k: v for k, v in artists.items() if v is not None})

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
