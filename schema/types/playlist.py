"""The ``Playlist`` type and its track connection (with who added what, and when)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.batching import by_level, one, one_of
from resolvers.global_id import to_global_id
from resolvers.pagination import Window, page_window
from resolvers.playlists import PlaylistItem, playlist_items_many, playlist_owners
from resolvers.views import PlaylistView
from schema.cache_control import SHARED
from schema.info import COUNT_ONLY, Info, selects_only
from schema.types.connection import TimestampedConnection, TimestampedEdge
from schema.types.node import Node
from schema.types.track import Track

if TYPE_CHECKING:
    from schema.types.user import User


@strawberry.enum(description="Where a playlist comes from.")
class PlaylistKind(Enum):
    USER = strawberry.enum_value("USER", description="Made by a listener.")
    EDITORIAL = strawberry.enum_value("EDITORIAL", description="Curated by Crossfade.")
    DISCOVER_WEEKLY = strawberry.enum_value(
        "DISCOVER_WEEKLY", description="Generated weekly: new music for one listener."
    )
    DAILY_MIX = strawberry.enum_value(
        "DAILY_MIX", description="Generated daily: one facet of a listener's taste."
    )


@strawberry.enum(description="How a generated playlist (Discover Weekly, Daily Mix) was made.")
class GenerationSource(Enum):
    BATCH = strawberry.enum_value(
        "BATCH",
        description="By the weekly (Discover Weekly) or daily (Daily Mixes) batch job over "
        "every listener; the same until the next run.",
    )
    REQUEST_TIME = strawberry.enum_value(
        "REQUEST_TIME",
        description="At request time, for a listener the last batch run did not cover (e.g. "
        "a new listener); follows every new play.",
    )


def _ms(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


@strawberry.type(description="A track in a playlist, with its position cursor.")
class PlaylistTrackEdge(TimestampedEdge[Track]):
    at: dt.datetime = strawberry.field(
        name="addedAt", description="When the track was added (UTC)."
    )


@strawberry.type(description="A page of a playlist's tracks, in playlist order.")
class PlaylistTrackConnection(TimestampedConnection[PlaylistTrackEdge]):
    pass


TrackPages = list[PlaylistTrackConnection | Exception]


def _edge(cursor: str, item: PlaylistItem) -> PlaylistTrackEdge:
    return PlaylistTrackEdge.build(cursor, item.added_at, Track.from_view(item.track))


async def owners(parents: Sequence[Playlist], info: Info) -> list[User | Exception | None]:
    """``Playlist.owner`` for a whole level (resolvers/batching.py)."""
    from schema.types.user import User

    found = await playlist_owners(info.context, [p.view for p in parents])
    return [r if r is None or isinstance(r, Exception) else User.from_record(r) for r in found]


def track_pages(
    parents: Sequence[Playlist], info: Info, first: int | None = None, after: str | None = None
) -> TrackPages | Awaitable[TrackPages]:
    """``Playlist.tracks`` for a whole level (resolvers/batching.py); at once when only
    ``totalCount`` is asked for."""
    w = page_window(info.context, first, after)
    if selects_only(info, COUNT_ONLY):
        return [PlaylistTrackConnection.count_only(p.view.track_count) for p in parents]
    return _track_pages(parents, info, w)


async def _track_pages(parents: Sequence[Playlist], info: Info, w: Window) -> TrackPages:
    pages = await playlist_items_many(info.context, [p.view for p in parents], w)
    return [
        p if isinstance(p, Exception) else PlaylistTrackConnection.from_slice(p, _edge)
        for p in pages
    ]


@strawberry.type(
    description="An ordered list of tracks: made by a listener, curated by Crossfade, or "
    "generated for one listener (Discover Weekly, Daily Mix).",
    # Its contents are versioned (an edit invalidates at once); who may see it is decided by
    # the field that reaches it.
    directives=[SHARED],
)
class Playlist(Node):
    name: str = strawberry.field(description="The playlist's title.")
    description: str = strawberry.field(description="Free text shown under the title.")
    public: bool = strawberry.field(
        description="Visible to everyone; a private playlist is visible to its owner only."
    )
    kind: PlaylistKind = strawberry.field(description="Where the playlist comes from.")
    snapshot_id: str = strawberry.field(
        description="Version of the contents; changes on every edit. Send it back as "
        "`expectedSnapshotId` to edit only the version you saw."
    )
    generated_at: dt.datetime | None = strawberry.field(
        description="When a generated playlist was made (UTC): the batch run's time, or for "
        "one computed at request time the start of its week (Discover Weekly) or day (Daily "
        "Mix); null for listeners' and editorial playlists."
    )
    generation_source: GenerationSource | None = strawberry.field(
        description="Whether a generated playlist comes from the batch job or was computed "
        "for this request; null for listeners' and editorial playlists."
    )
    view: strawberry.Private[PlaylistView]

    @classmethod
    def from_view(cls, v: PlaylistView) -> Playlist:
        return cls(
            id=strawberry.ID(to_global_id("Playlist", v.key)),
            name=v.name,
            description=v.description,
            public=v.public,
            kind=PlaylistKind(v.kind),
            snapshot_id=v.snapshot_id,
            generated_at=None if v.source is None else _ms(v.generated_at),
            generation_source=None if v.source is None else GenerationSource(v.source),
            view=v,
        )

    @strawberry.field(description="The listener who owns it; null for editorial playlists.")
    @by_level(owners)
    async def owner(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy("schema.types.user")] | None:
        return one(await owners([self], info))

    @strawberry.field(
        description="The playlist's tracks in order, a page at a time.",
        graphql_type=PlaylistTrackConnection,
    )
    @by_level(track_pages)
    def tracks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> PlaylistTrackConnection | Awaitable[PlaylistTrackConnection]:
        return one_of(track_pages([self], info, first, after))
