"""The ``User`` type: a listener, and (for the listener themself) their library and mixes."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers.clients.records import UserRecord
from resolvers.global_id import to_global_id
from resolvers.library import LikedItem, liked_tracks, own_playlists, recently_played
from resolvers.mixes import daily_mixes_of, discover_weekly_of
from resolvers.pagination import page_window
from schema.cache_control import PERSONAL, SHARED
from schema.info import Info
from schema.types.connection import (
    Connection,
    TimestampedConnection,
    TimestampedEdge,
    connection,
)
from schema.types.node import Node
from schema.types.playlist import Playlist
from schema.types.track import Track

# Default page size of the listener's lists.
PAGE = 20


@strawberry.type(description="A liked track, with when it was liked.")
class LikedTrackEdge(TimestampedEdge[Track]):
    at: dt.datetime = strawberry.field(
        name="likedAt", description="When the listener liked it (UTC)."
    )


@strawberry.type(description="A page of liked tracks, most recently liked first.")
class LikedTrackConnection(TimestampedConnection[LikedTrackEdge]):
    pass


def _liked_edge(cursor: str, item: LikedItem) -> LikedTrackEdge:
    return LikedTrackEdge.build(cursor, item.liked_at, Track.from_view(item.track))


@strawberry.type(
    description="A listener. Listening history, likes and mixes are visible to the listener "
    "themself only.",
    directives=[SHARED],
)
class User(Node):
    display_name: str = strawberry.field(description="The name shown to other listeners.")
    handle: str = strawberry.field(description="The listener's handle, e.g. `user-1`.")
    simulated: bool = strawberry.field(
        description="True for the project's simulated listeners (no real listening log ships)."
    )
    key: strawberry.Private[int]

    @classmethod
    def from_record(cls, r: UserRecord) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", r.id)),
            display_name=r.display_name,
            handle=r.handle,
            simulated=r.simulated,
            key=r.id,
        )

    @strawberry.field(
        description="Playlists the listener made, most recently changed first (others see "
        "the public ones only).",
        directives=[PERSONAL],
    )
    async def playlists(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Playlist]:
        w = page_window(info.context, first, after, default=PAGE)
        return connection(await own_playlists(info.context, self.key, w), Playlist.from_view)

    @strawberry.field(
        description="Tracks the listener liked, most recent first.", directives=[PERSONAL]
    )
    async def liked_tracks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> LikedTrackConnection:
        w = page_window(info.context, first, after, default=PAGE)
        page = await liked_tracks(info.context, self.key, w)
        return LikedTrackConnection.from_slice(page, _liked_edge)

    @strawberry.field(
        description="Distinct tracks played lately, most recent first.", directives=[PERSONAL]
    )
    async def recently_played(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Track]:
        w = page_window(info.context, first, after, default=PAGE)
        return connection(await recently_played(info.context, self.key, w), Track.from_view)

    @strawberry.field(
        description="30 tracks the listener has never played, at most 2 per artist; the "
        "same all ISO week, new each Monday.",
        directives=[PERSONAL],
    )
    async def discover_weekly(self, info: Info) -> Playlist:
        return Playlist.from_view(await discover_weekly_of(info.context, self.key))

    @strawberry.field(
        description="2 to 6 mixes, one per facet of the listener's taste, named after their "
        "top artists and blending favourites with new picks.",
        directives=[PERSONAL],
    )
    async def daily_mixes(self, info: Info) -> list[Playlist]:
        return [Playlist.from_view(v) for v in await daily_mixes_of(info.context, self.key)]
