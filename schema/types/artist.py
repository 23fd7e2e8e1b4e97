"""The ``Artist`` type."""

from __future__ import annotations

import strawberry

from resolvers.clients.records import ArtistRecord
from resolvers.global_id import to_global_id
from schema.cache_control import CATALOG
from schema.types.node import Node


@strawberry.type(description="A performing artist of the catalog.", directives=[CATALOG])
class Artist(Node):
    name: str = strawberry.field(description="The artist's name as credited.")
    popularity: int = strawberry.field(
        description="0–100: the popularity of the artist's most popular track."
    )
    genres: list[str] = strawberry.field(description="Genres the artist's tracks belong to.")
    key: strawberry.Private[int]

    @classmethod
    def from_record(cls, r: ArtistRecord) -> Artist:
        return cls(
            id=strawberry.ID(to_global_id("Artist", r.id)),
            name=r.name,
            popularity=r.popularity,
            genres=list(r.genres),
            key=r.id,
        )
