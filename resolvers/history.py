"""The viewer's own records: their user record, and their listening history as the ranking
core wants it.

History is read fresh from the library backend on every request (one batched call), so a play
recorded seconds ago is already folded into what the ranking core scores: no retraining needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.clients.records import UserRecord

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context


async def play_counts(ctx: Context, viewer: Viewer) -> dict[int, float]:
    return await ctx.loaders.play_counts_by_user.load(viewer.user_id)


async def user_record(ctx: Context, viewer: Viewer) -> UserRecord | None:
    """The viewer's user record (display name, time zone, explicit filter)."""
    return await ctx.loaders.user_by_id.load(viewer.user_id)


async def signed_in_user(ctx: Context) -> UserRecord | None:
    """The signed-in listener's user record; None for a guest, without an error (Home and
    the operations built on it serve guests too)."""
    if ctx.viewer is None:
        return None
    return await user_record(ctx, ctx.viewer)


def history_fingerprint(history: dict[int, float]) -> tuple[int, float]:
    """Changes whenever a play is added: part of personal cache keys."""
    return len(history), sum(history.values())
