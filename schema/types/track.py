"""The ``Track`` type."""

from __future__ import annotations

import strawberry

from resolvers.global_id import to_global_id
from resolvers.views import TrackView
from schema.cache_control import CATALOG
from schema.types.album import Album
from schema.types.artist import Artist
from schema.types.node import Node


@strawberry.type(description="A recording in the catalog.", directives=[CATALOG])
class Track(Node):
    name: str = strawberry.field(description="The track's title.")
    duration_ms: int = strawberry.field(description="Length in milliseconds.")
    explicit: bool = strawberry.field(description="Has explicit lyrics.")
    popularity: int = strawberry.field(
        description="0–100, from the catalog source; higher is more played recently."
    )
    genre: str = strawberry.field(description="The catalog genre the track is filed under.")
    artists: list[Artist] = strawberry.field(description="Credited artists, main artist first.")
    album: Album | None = strawberry.field(description="The album the track appears on.")
    key: strawberry.Private[int]

    @classmethod
    def from_view(cls, v: TrackView) -> Track:
        t = v.track
        return cls(
            id=strawberry.ID(to_global_id("Track", t.id)),
            name=t.name,
            duration_ms=t.duration_ms,
            explicit=t.explicit,
            popularity=t.popularity,
            genre=t.genre,
            artists=[Artist.from_record(a) for a in v.artists],
            album=None if v.album is None else Album.from_view(v.album),
            key=t.id,
        )
