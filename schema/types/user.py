"""The ``User`` type: a listener, and (for the listener themself) their library and mixes."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers.access import require_self
from resolvers.clients.records import UserRecord
from resolvers.global_id import to_global_id
from resolvers.library import LikedItem, liked_tracks, own_playlists, recently_played
from resolvers.mixes import daily_mixes, discover_weekly
from resolvers.pagination import Slice, Window, encode_cursor, window
from schema.info import Info
from schema.types.connection import Connection, PageInfo, connection, page_info
from schema.types.node import Node
from schema.types.playlist import Playlist
from schema.types.track import Track


@strawberry.type(description="A liked track, with when it was liked.")
class LikedTrackEdge:
    cursor: str = strawberry.field(description="Opaque position of this like.")
    liked_at: dt.datetime = strawberry.field(description="When the listener liked it (UTC).")
    node: Track = strawberry.field(description="The track.")


@strawberry.type(description="A page of liked tracks, most recently liked first.")
class LikedTrackConnection:
    total_count: int = strawberry.field(description="How many tracks the listener likes.")
    edges: list[LikedTrackEdge] = strawberry.field(description="The likes of this page.")
    page_info: PageInfo = strawberry.field(description="How to fetch the next page.")

    @classmethod
    def from_slice(cls, s: Slice[LikedItem]) -> LikedTrackConnection:
        return cls(
            total_count=s.total,
            edges=[
                LikedTrackEdge(
                    cursor=encode_cursor(s.offset + i),
                    liked_at=dt.datetime.fromtimestamp(item.liked_at / 1000, tz=dt.UTC),
                    node=Track.from_view(item.track),
                )
                for i, item in enumerate(s.items)
            ],
            page_info=page_info(s),
        )


@strawberry.type(
    description="A listener. Listening history, likes and mixes are visible to the listener "
    "themself only."
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
        "the public ones only)."
    )
    async def playlists(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Playlist]:
        w = _window(info, first, after)
        return connection(await own_playlists(info.context, self.key, w), Playlist.from_view)

    @strawberry.field(description="Tracks the listener liked, most recent first.")
    async def liked_tracks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> LikedTrackConnection:
        require_self(info.context.viewer, self.key)
        w = _window(info, first, after)
        return LikedTrackConnection.from_slice(await liked_tracks(info.context, self.key, w))

    @strawberry.field(description="Distinct tracks played lately, most recent first.")
    async def recently_played(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Track]:
        require_self(info.context.viewer, self.key)
        w = _window(info, first, after)
        return connection(await recently_played(info.context, self.key, w), Track.from_view)

    @strawberry.field(
        description="30 tracks the listener has never played, at most 2 per artist; the "
        "same all ISO week, new each Monday."
    )
    async def discover_weekly(self, info: Info) -> Playlist:
        viewer = require_self(info.context.viewer, self.key)
        return Playlist.from_view(await discover_weekly(info.context, viewer))

    @strawberry.field(
        description="2 to 6 mixes, one per facet of the listener's taste, named after their "
        "top artists and blending favourites with new picks."
    )
    async def daily_mixes(self, info: Info) -> list[Playlist]:
        viewer = require_self(info.context.viewer, self.key)
        return [Playlist.from_view(v) for v in await daily_mixes(info.context, viewer)]


def _window(info: Info, first: int | None, after: str | None) -> Window:
    limits = info.context.services.limits
    return window(first, after, default=20, maximum=limits.max_page_size)
