"""A listener's library: liked tracks, own playlists and recently played."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from resolvers.access import require_self, sees_private_playlists_of
from resolvers.hydrate import track_views
from resolvers.pagination import Slice, Window
from resolvers.playlists import playlist_views
from resolvers.views import PlaylistView, TrackView

if TYPE_CHECKING:
    from resolvers.context import Context


@dataclass(frozen=True, slots=True)
class LikedItem:
    track: TrackView
    liked_at: int


async def liked_tracks(ctx: Context, user_id: int, w: Window) -> Slice[LikedItem]:
    """``user_id``'s likes, newest first: the listener themself only."""
    require_self(ctx.viewer, user_id)
    page = await ctx.services.clients.library.likes(user_id, offset=w.offset, limit=w.limit)
    views = await track_views(ctx.entities, [t for t, _ in page.items])
    items = [LikedItem(v, at) for (_, at), v in zip(page.items, views, strict=True) if v]
    return Slice(items=items, offset=w.offset, total=page.total)


async def own_playlists(ctx: Context, user_id: int, w: Window) -> Slice[PlaylistView]:
    """``user_id``'s playlists as the viewer may see them: all for the owner, else public."""
    page = await ctx.services.clients.library.playlists(
        user_id,
        offset=w.offset,
        limit=w.limit,
        # Filtered in the backend, so totalCount and the pages count public ones only.
        public_only=not sees_private_playlists_of(ctx.viewer, user_id),
    )
    return Slice(
        items=await playlist_views(ctx, list(page.items)), offset=w.offset, total=page.total
    )


async def recently_played(ctx: Context, user_id: int, w: Window) -> Slice[TrackView]:
    """Distinct tracks ``user_id`` played lately, newest first: the listener themself only."""
    require_self(ctx.viewer, user_id)
    plays = await ctx.services.clients.library.recent_plays(user_id, limit=50)
    ids = list(dict.fromkeys(p.track_id for p in plays))
    views = await track_views(ctx.entities, ids[w.offset : w.offset + w.limit])
    return Slice(items=[v for v in views if v], offset=w.offset, total=len(ids))
