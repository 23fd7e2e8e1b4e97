"""Recording plays."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from resolvers.access import require_viewer
from resolvers.clients.records import Play
from resolvers.loaders import forget

if TYPE_CHECKING:
    from resolvers.context import Context


async def record_play(ctx: Context, track_id: int) -> Play:
    viewer = require_viewer(ctx.viewer)
    play = await ctx.services.clients.library.record_play(
        viewer.user_id, track_id, int(time.time() * 1000)
    )
    # This request's loader may already hold the old history.
    forget(ctx.loaders.play_counts_by_user, viewer.user_id)
    return play
