"""``HomeItem``: what a shelf or a top search result can hold."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.clients.records import ArtistRecord
from resolvers.views import AlbumView, HomeItemView, PlaylistView, TrackView
from schema.types.album import Album
from schema.types.artist import Artist
from schema.types.playlist import Playlist
from schema.types.track import Track

HomeItem = Annotated[
    Track | Artist | Album | Playlist,
    strawberry.union(
        "HomeItem", description="A track, artist, album or playlist shown on a shelf."
    ),
]


def item_from_view(v: HomeItemView) -> Track | Artist | Album | Playlist:
    if isinstance(v, TrackView):
        return Track.from_view(v)
    if isinstance(v, AlbumView):
        return Album.from_view(v)
    if isinstance(v, PlaylistView):
        return Playlist.from_view(v)
    assert isinstance(v, ArtistRecord)
    return Artist.from_record(v)
