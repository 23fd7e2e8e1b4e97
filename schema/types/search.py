"""``SearchResult``: one query, results of every kind, ordered for the listener."""

from __future__ import annotations

import strawberry

from resolvers.pagination import Window, page_window, slice_list
from resolvers.search import SearchResults
from schema.cache_control import PERSONAL
from schema.info import Info
from schema.types.album import Album
from schema.types.artist import Artist
from schema.types.connection import Connection, connection
from schema.types.item import HomeItem, item_from_view
from schema.types.playlist import Playlist
from schema.types.track import Track


@strawberry.type(
    description="Results of a search, each list ordered by text relevance blended with the "
    "listener's affinity and popularity (at most 50 matches per kind).",
    # Ordered by the listener's own affinity.
    directives=[PERSONAL],
)
class SearchResult:
    query: str = strawberry.field(description="The query as searched.")
    corrected_query: str | None = strawberry.field(
        description="The spelling searched instead, when the query had typos (e.g. 'metalica')."
    )
    results: strawberry.Private[SearchResults]

    @classmethod
    def from_results(cls, r: SearchResults) -> SearchResult:
        return cls(query=r.query, corrected_query=r.corrected, results=r)

    @strawberry.field(description="The single best match of any kind.")
    def top_result(self) -> HomeItem | None:
        top = self.results.top_result
        return None if top is None else item_from_view(top)

    @strawberry.field(description="Matching tracks.")
    def tracks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Track]:
        return connection(slice_list(self.results.tracks, _w(info, first, after)), Track.from_view)

    @strawberry.field(description="Matching artists.")
    def artists(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Artist]:
        return connection(
            slice_list(self.results.artists, _w(info, first, after)), Artist.from_record
        )

    @strawberry.field(description="Matching albums.")
    def albums(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Album]:
        return connection(slice_list(self.results.albums, _w(info, first, after)), Album.from_view)

    @strawberry.field(description="Matching public playlists.")
    def playlists(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Playlist]:
        return connection(
            slice_list(self.results.playlists, _w(info, first, after)), Playlist.from_view
        )


def _w(info: Info, first: int | None, after: str | None) -> Window:
    return page_window(info.context, first, after, default=10)
