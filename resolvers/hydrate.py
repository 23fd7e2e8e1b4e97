"""Turning IDs into views: one ``load`` of the request's entity map, then plain lookups.

The map fetches tracks with their albums and artists in one catalog call (none when the
entity caches hold them), whatever the list length.
"""

from __future__ import annotations

from collections.abc import Sequence

from resolvers.clients.records import ArtistRecord
from resolvers.entities import Entities
from resolvers.views import AlbumView, TrackView


async def artists(entities: Entities, ids: Sequence[int]) -> list[ArtistRecord | None]:
    await entities.load(artists=ids)
    return [entities.artist(i) for i in ids]


async def album_views(entities: Entities, ids: Sequence[int]) -> list[AlbumView | None]:
    await entities.load(albums=ids)
    return [entities.album(i) for i in ids]


async def track_views(entities: Entities, ids: Sequence[int]) -> list[TrackView | None]:
    await entities.load(tracks=ids)
    return [entities.track(i) for i in ids]


async def present_track_views(entities: Entities, ids: Sequence[int]) -> list[TrackView]:
    """Views for ``ids`` in order, skipping tracks the catalog no longer has."""
    await entities.load(tracks=ids)
    return present(entities, ids)


def present(entities: Entities, ids: Sequence[int]) -> list[TrackView]:
    """The views of the loaded ``ids`` the catalog has, in order (no I/O)."""
    found = (entities.track(i) for i in ids)
    return [v for v in found if v is not None]
