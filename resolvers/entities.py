"""The request's catalog entities: one map, filled in batches, read synchronously.

Resolvers ask for every ID a response needs at once (``await entities.load(tracks=...)``) and
then build views from the map without awaiting anything per item. What the entity caches hold
is copied in at once; what they miss is fetched with everything it points at, in one catalog
call for all the loads of one event-loop tick (so sibling fields still share a call), with one
future per batch rather than one per key.

Complete track views (album and every artist found) are also kept across requests, as the
records they are built from are (same size and lifetime): a Home shows ~140 tracks, and a
cached view is one lookup instead of a track, an album and two or three artists, plus the
joining.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from resolvers.clients.catalog import CatalogClient, EntityKeys, EntitySet
from resolvers.clients.records import ArtistRecord
from resolvers.views import AlbumView, TrackView


class Entities:
    """Catalog records and views of one request, by ID."""

    def __init__(self, catalog: CatalogClient) -> None:
        self._catalog = catalog
        self._views = catalog.track_views
        self._found = EntitySet()
        self._pending = EntityKeys()
        self._batch: asyncio.Future[None] | None = None  # collecting this tick's loads
        self._in_flight: list[tuple[EntityKeys, asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._tracks: dict[int, TrackView] = {}
        self._albums: dict[int, AlbumView] = {}

    async def load(
        self,
        *,
        tracks: Iterable[int] = (),
        albums: Iterable[int] = (),
        artists: Iterable[int] = (),
    ) -> None:
        """Make these IDs (and what they point at) readable; unknown IDs read as None."""
        missing = self._catalog.lookup(
            self._found, tracks=self._cached_views(tracks), albums=albums, artists=artists
        )
        if not missing:
            return
        waits = [batch for keys, batch in self._in_flight if missing.take(keys)]
        if missing:
            batch = self._batch
            if batch is None:
                loop = asyncio.get_running_loop()
                batch = self._batch = loop.create_future()
                batch.add_done_callback(_retrieve)
                loop.call_soon(self._dispatch)
            self._pending.update(missing)
            waits.append(batch)
        for batch in waits:
            # Shielded: one cancelled reader must not cancel a batch others wait for.
            await asyncio.shield(batch)

    def _cached_views(self, ids: Iterable[int]) -> list[int]:
        """Take the views the cross-request cache holds; answer the other IDs."""
        mine, views = self._tracks, self._views
        rest: list[int] = []
        hits = 0
        for key in ids:
            if key in mine:
                continue
            view: TrackView | None = views.peek(key)
            if view is None:
                rest.append(key)
                continue
            hits += 1
            mine[key] = view
            if view.album is not None:
                self._albums.setdefault(view.album.album.id, view.album)
        views.count(hits, len(rest))
        return rest

    def _dispatch(self) -> None:
        batch, keys = self._batch, self._pending
        self._batch, self._pending = None, EntityKeys()
        assert batch is not None
        flight = (keys, batch)
        self._in_flight.append(flight)
        task = asyncio.get_running_loop().create_task(self._fetch(keys, batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        batch.add_done_callback(lambda _: self._in_flight.remove(flight))

    async def _fetch(self, keys: EntityKeys, batch: asyncio.Future[None]) -> None:
        try:
            await self._catalog.fetch(keys, self._found)
        except asyncio.CancelledError:
            batch.cancel()
            raise
        except Exception as error:  # every reader of the batch gets the failure
            if not batch.done():
                batch.set_exception(error)
        else:
            if not batch.done():
                batch.set_result(None)

    def readable(self, *, tracks: Iterable[int]) -> bool:
        """Whether these tracks read without a fetch: each a complete view, or its record with
        its album and artists found. After a failed load, which of its readers it spared: one
        whose tracks all were (loading them alone) would have been answered."""
        found = self._found
        for key in tracks:
            if key in self._tracks:
                continue
            record = found.tracks.get(key)
            if record is None:
                return False
            album = found.albums.get(record.album_id)
            if album is None or any(a not in found.artists for a in album.artist_ids):
                return False
            if any(a not in found.artists for a in record.artist_ids):
                return False
        return True

    def artist(self, artist_id: int) -> ArtistRecord | None:
        return self._found.artists.get(artist_id)

    def album(self, album_id: int) -> AlbumView | None:
        try:
            return self._albums[album_id]
        except KeyError:
            pass
        record = self._found.albums.get(album_id)
        if record is None:
            return None
        artists = self._found.artists
        view = AlbumView(record, tuple(artists[a] for a in record.artist_ids if a in artists))
        self._albums[album_id] = view
        return view

    def track(self, track_id: int) -> TrackView | None:
        try:
            return self._tracks[track_id]
        except KeyError:
            pass
        record = self._found.tracks.get(track_id)
        if record is None:
            return None
        artists = self._found.artists
        credited = tuple(artists[a] for a in record.artist_ids if a in artists)
        album = self.album(record.album_id)
        view = TrackView(record, credited, album)
        self._tracks[track_id] = view
        if (
            album is not None
            and len(credited) == len(record.artist_ids)
            and len(album.artists) == len(album.album.artist_ids)
        ):
            self._views.set(track_id, view)
        return view


def _retrieve(batch: asyncio.Future[None]) -> None:
    # Marks a failure as seen even when every reader was cancelled before it came.
    if not batch.cancelled():
        batch.exception()
