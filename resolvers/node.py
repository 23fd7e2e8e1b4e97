"""Relay refetch: any node by its global ID."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from resolvers.clients.errors import BadUserInput
from resolvers.clients.records import ArtistRecord, UserRecord
from resolvers.global_id import from_global_id
from resolvers.hydrate import album_views, artists, track_views
from resolvers.playlists import playlist_by_key
from resolvers.views import AlbumView, PlaylistView, TrackView

if TYPE_CHECKING:
    from resolvers.context import Context

NodeView = TrackView | ArtistRecord | AlbumView | PlaylistView | UserRecord


def _int(key: str) -> int | None:
    return int(key) if key.isdigit() and len(key) <= 12 else None


async def node(ctx: Context, global_id: str) -> NodeView | None:
    """The node, or None when it does not exist or the viewer may not see it."""
    type_name, key = from_global_id(global_id)
    if type_name == "Playlist":
        return await playlist_by_key(ctx, key)
    number = _int(key)
    if number is None:
        return None
    if type_name == "Track":
        return (await track_views(ctx.entities, [number]))[0]
    if type_name == "Artist":
        return (await artists(ctx.entities, [number]))[0]
    if type_name == "Album":
        return (await album_views(ctx.entities, [number]))[0]
    if type_name == "User":
        return await ctx.loaders.user_by_id.load(number)
    return None


async def nodes(ctx: Context, global_ids: list[str]) -> list[NodeView | None]:
    most = ctx.services.limits.max_nodes
    if len(global_ids) > most:
        raise BadUserInput(f"At most {most} IDs per call.")
    return list(await asyncio.gather(*(node(ctx, g) for g in global_ids)))
