"""Recording plays."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resolvers.access import require_viewer
from resolvers.clients.errors import NotFound
from resolvers.hydrate import track_views
from resolvers.loaders import forget
from resolvers.views import TrackView

if TYPE_CHECKING:
    from resolvers.context import Context


@dataclass(frozen=True, slots=True)
class RecordedPlay:
    """A play just recorded: the track that was played, and when (epoch milliseconds)."""

    track: TrackView
    played_at: int


async def record_play(ctx: Context, track_id: int) -> RecordedPlay:
    """Record that the viewer played ``track_id`` (NOT_FOUND when the catalog lacks it)."""
    viewer = require_viewer(ctx.viewer)  # before any backend call: guests learn nothing
    (track,) = await track_views(ctx.entities, [track_id])
    if track is None:
        raise NotFound("No such track.")
    play = await ctx.services.clients.library.record_play(
        viewer.user_id, track_id, int(time.time() * 1000)
    )
    # This request's loader may already hold the old history.
    forget(ctx.loaders.profile_by_user, viewer.user_id)
    return RecordedPlay(track=track, played_at=play.played_at)
