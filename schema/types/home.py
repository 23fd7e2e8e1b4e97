"""``Home`` and its ranked ``HomeSection`` shelves."""

from __future__ import annotations

import strawberry

from resolvers.global_id import to_global_id
from resolvers.home import HomeView, Shelf
from resolvers.pagination import page_window, slice_list
from schema.cache_control import PERSONAL
from schema.info import Info
from schema.types.connection import Connection, connection
from schema.types.item import HomeItem, item_from_view


@strawberry.type(
    description="A shelf of the Home screen: a titled, ranked row of tracks, artists, albums "
    "or playlists.",
    directives=[PERSONAL],
)
class HomeSection:
    id: strawberry.ID = strawberry.field(
        description="Stable ID of the shelf for client caches (not refetchable by `node`)."
    )
    title: str = strawberry.field(description="Heading shown above the shelf.")
    kind: str = strawberry.field(
        description="What generated the shelf, e.g. RECENTLY_PLAYED, MADE_FOR_YOU, "
        "BECAUSE_YOU_LISTENED, TOP_ARTISTS, RECOMMENDED, ALBUMS_FOR_YOU, TOP_GENRES, POPULAR, "
        "MOODS, GENRES."
    )
    shelf: strawberry.Private[Shelf]

    @classmethod
    def from_shelf(cls, shelf: Shelf) -> HomeSection:
        return cls(
            id=strawberry.ID(to_global_id("HomeSection", shelf.kind.lower())),
            title=shelf.title,
            kind=shelf.kind,
            shelf=shelf,
        )

    @strawberry.field(description="The shelf's items, best first.")
    def items(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[HomeItem]:
        w = page_window(info.context, first, after, default=12)
        return connection(slice_list(self.shelf.items, w), item_from_view)


@strawberry.type(
    description="The Home screen of the current listener (or of a guest).", directives=[PERSONAL]
)
class Home:
    greeting: str = strawberry.field(
        description="Greeting for the listener's local time of day, e.g. 'Good evening, Ana'."
    )
    view: strawberry.Private[HomeView]

    @strawberry.field(description="Shelves in the order the listener should see them.")
    def sections(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[HomeSection]:
        w = page_window(info.context, first, after, default=8)
        return connection(slice_list(self.view.shelves, w), HomeSection.from_shelf)
