"""The root ``Query``."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.clients.records import UserRecord
from resolvers.global_id import from_global_id, int_key
from resolvers.history import signed_in_user
from resolvers.home import home
from resolvers.node import NodeView, node, nodes
from resolvers.playlists import playlist_by_key
from resolvers.search import search
from schema.cache_control import PERSONAL
from schema.info import Info
from schema.types.home import Home
from schema.types.item import item_from_view
from schema.types.node import Node
from schema.types.playlist import Playlist
from schema.types.search import SearchResult
from schema.types.user import User


def node_from_view(v: NodeView | None) -> Node | None:
    if v is None:
        return None
    if isinstance(v, UserRecord):
        return User.from_record(v)
    return item_from_view(v)


@strawberry.type(description="Everything a client can read.")
class Query:
    @strawberry.field(
        description="The signed-in listener; null for a guest (no error: Home serves guests "
        "too). Their personal fields still need a token.",
        directives=[PERSONAL],
    )
    async def me(self, info: Info) -> User | None:
        record = await signed_in_user(info.context)
        return None if record is None else User.from_record(record)

    @strawberry.field(
        description="The Home screen: personal shelves for a signed-in listener, charts and "
        "editorial shelves for guests.",
        directives=[PERSONAL],
    )
    async def home(self, info: Info) -> Home:
        view = await home(info.context)
        return Home(greeting=view.greeting, view=view)

    @strawberry.field(
        description="Search tracks, artists, albums and public playlists.", directives=[PERSONAL]
    )
    async def search(
        self,
        info: Info,
        query: Annotated[str, strawberry.argument(description="Free text; typos are tolerated.")],
    ) -> SearchResult:
        return SearchResult.from_results(await search(info.context, query))

    # Who asks decides what is visible (private playlists, generated mixes): PRIVATE.
    @strawberry.field(
        description="A playlist by global ID; null if missing or not visible.",
        directives=[PERSONAL],
    )
    async def playlist(self, info: Info, id: strawberry.ID) -> Playlist | None:
        type_name, key = from_global_id(id)
        if type_name != "Playlist":
            int_key(id, "Playlist")  # raises BAD_USER_INPUT naming the expected type
        view = await playlist_by_key(info.context, key)
        return None if view is None else Playlist.from_view(view)

    @strawberry.field(description="Any object by global ID (Relay refetch).", directives=[PERSONAL])
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return node_from_view(await node(info.context, id))

    @strawberry.field(
        description="Several objects by global ID, in order (at most 100).",
        directives=[PERSONAL],
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return [node_from_view(v) for v in await nodes(info.context, list(ids))]
