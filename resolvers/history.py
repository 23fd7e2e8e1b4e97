"""The viewer's own records: their profile (user record, latest plays, listening history).

Read fresh from the library backend on every personal request (one call, shared by every
field of the response), so a play recorded seconds ago is already folded into what the
ranking core scores: no retraining needed. The counts travel only when the history changed.

The plays and the counts are versioned data (``resolvers/clients/footprint.py``): an answer
that uses them depends on the listener's history, one that uses only the user record (``me``,
the greeting) does not, so a play leaves it in the response cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from resolvers.clients.errors import BackendError
from resolvers.clients.footprint import HISTORY, note_reads
from resolvers.clients.records import Profile, UserRecord
from resolvers.clients.stale import mark_stale

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context


async def profile(ctx: Context, viewer: Viewer) -> Profile | None:
    """The viewer's profile; None when the library does not know them."""
    note_reads(HISTORY, [viewer.user_id])  # the caller builds on the plays and counts
    return await ctx.loaders.profile_by_user.load(viewer.user_id)


async def user_record(ctx: Context, viewer: Viewer) -> UserRecord | None:
    """The viewer's user record (display name, time zone, explicit filter); the last one
    read, flagged stale, while the library is failing."""
    try:
        # The same read as `profile`, for the user record alone: no history read to note.
        found = await ctx.loaders.profile_by_user.load(viewer.user_id)
    except BackendError as error:
        user = ctx.services.clients.library.stale_user(viewer.user_id)
        if user is None:
            raise
        mark_stale(error.service)
        return user
    return None if found is None else found.user


async def signed_in_user(ctx: Context) -> UserRecord | None:
    """The signed-in listener's user record; None for a guest, without an error (Home and
    the operations built on it serve guests too)."""
    if ctx.viewer is None:
        return None
    return await user_record(ctx, ctx.viewer)
