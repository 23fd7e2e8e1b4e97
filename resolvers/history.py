"""The viewer's listening history as the ranking core wants it.

Read fresh from the library backend on every request (one batched call), so a play recorded
seconds ago is already folded into what the ranking core scores: no retraining needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.clients.records import UserRecord

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context


async def play_counts(ctx: Context, viewer: Viewer) -> dict[int, float]:
    return await ctx.loaders.play_counts_by_user.load(viewer.user_id)


async def profile(ctx: Context, viewer: Viewer) -> UserRecord | None:
    return await ctx.loaders.user_by_id.load(viewer.user_id)


def history_fingerprint(history: dict[int, float]) -> tuple[int, float]:
    """Changes whenever a play is added: part of personal cache keys."""
    return len(history), sum(history.values())
