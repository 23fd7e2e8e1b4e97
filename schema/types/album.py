"""The ``Album`` type."""

from __future__ import annotations

import strawberry

from resolvers.global_id import to_global_id
from resolvers.views import AlbumView
from schema.cache_control import CATALOG
from schema.types.artist import Artist
from schema.types.node import Node


@strawberry.type(
    description="An album (or single, or compilation) of the catalog.", directives=[CATALOG]
)
class Album(Node):
    name: str = strawberry.field(description="The album's title.")
    artists: list[Artist] = strawberry.field(
        description="Main artists of the album, most credited first."
    )
    popularity: int = strawberry.field(description="0–100: its most popular track's popularity.")
    track_count: int = strawberry.field(description="How many of its tracks the catalog holds.")
    key: strawberry.Private[int]

    @classmethod
    def from_view(cls, v: AlbumView) -> Album:
        return cls(
            id=strawberry.ID(to_global_id("Album", v.album.id)),
            name=v.album.name,
            artists=[Artist.from_record(a) for a in v.artists],
            popularity=v.album.popularity,
            track_count=len(v.album.track_ids),
            key=v.album.id,
        )
