"""Turning IDs into views with a constant number of batched backend calls.

Tracks → (albums ∥ artists) → album artists: three loader rounds whatever the list length,
and the last one is usually answered by the per-request loader cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from resolvers.clients.records import AlbumRecord, ArtistRecord, TrackRecord
from resolvers.loaders import Loaders
from resolvers.views import AlbumView, TrackView


async def _artists(loaders: Loaders, ids: Sequence[int]) -> dict[int, ArtistRecord]:
    unique = list(dict.fromkeys(ids))
    found = await loaders.artist_by_id.load_many(unique)
    return {a.id: a for a in found if a is not None}


def _album_view(album: AlbumRecord, artists: dict[int, ArtistRecord]) -> AlbumView:
    return AlbumView(album, tuple(artists[a] for a in album.artist_ids if a in artists))


async def album_views(loaders: Loaders, ids: Sequence[int]) -> list[AlbumView | None]:
    albums = await loaders.album_by_id.load_many(list(ids))
    artists = await _artists(loaders, [a for al in albums if al for a in al.artist_ids])
    return [None if al is None else _album_view(al, artists) for al in albums]


async def track_views(loaders: Loaders, ids: Sequence[int]) -> list[TrackView | None]:
    tracks: list[TrackRecord | None] = await loaders.track_by_id.load_many(list(ids))
    present = [t for t in tracks if t is not None]
    albums, artists = await asyncio.gather(
        loaders.album_by_id.load_many(list(dict.fromkeys(t.album_id for t in present))),
        _artists(loaders, [a for t in present for a in t.artist_ids]),
    )
    missing = [a for al in albums if al for a in al.artist_ids if a not in artists]
    if missing:
        artists.update(await _artists(loaders, missing))
    album_map = {al.id: _album_view(al, artists) for al in albums if al is not None}
    return [
        None
        if t is None
        else TrackView(
            t, tuple(artists[a] for a in t.artist_ids if a in artists), album_map.get(t.album_id)
        )
        for t in tracks
    ]


async def present_track_views(loaders: Loaders, ids: Sequence[int]) -> list[TrackView]:
    """Views for ``ids`` in order, skipping tracks the catalog no longer has."""
    return [v for v in await track_views(loaders, ids) if v is not None]
