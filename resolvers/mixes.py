"""Generated playlists: Discover Weekly and the Daily Mixes, computed by the ranking core.

They are personal: their global IDs name the listener, and only that listener can refetch
them. Results are cached per viewer, keyed by the history fingerprint and the model version,
so a new play or a reloaded model gives fresh mixes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from resolvers.access import is_self, require_self
from resolvers.clients.footprint import fresh_until
from resolvers.experiments import expose
from resolvers.history import history_fingerprint, play_counts, user_record
from resolvers.views import PlaylistView

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context

DISCOVER_WEEKLY = "discover-weekly"
DAILY_MIX = "daily-mix-"
DISCOVER_WEEKLY_SIZE = 30
DAILY_MIX_SIZE = 50


def _snapshot(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:16]


def _week_start(today: dt.date) -> dt.datetime:
    monday = today - dt.timedelta(days=today.weekday())
    return dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)


async def discover_weekly(ctx: Context, viewer: Viewer) -> PlaylistView:
    history, user = await asyncio.gather(play_counts(ctx, viewer), user_record(ctx, viewer))
    core = ctx.services.ranking.core
    today = dt.datetime.now(dt.UTC).date()
    year, week, _ = today.isocalendar()
    allow_explicit = not (user.explicit_filter if user else False)
    model = expose(ctx, viewer, "recommendations").model_override
    key = (
        "dw",
        viewer.user_id,
        year,
        week,
        allow_explicit,
        core.version,
        model,
        history_fingerprint(history),
    )
    cache = ctx.services.clients.viewer_cache
    ids: list[int] | None = cache.get(key)
    if ids is None:
        ids = core.discover_weekly(
            history,
            viewer.handle,
            year,
            week,
            k=DISCOVER_WEEKLY_SIZE,
            allow_explicit=allow_explicit,
            model=model,
        )
        cache.set(key, ids)
    name = user.display_name if user else viewer.handle
    fresh_until((_week_start(today) + dt.timedelta(weeks=1)).timestamp())  # a new mixtape
    return PlaylistView(
        key=f"{DISCOVER_WEEKLY}:{viewer.handle}",
        name="Discover Weekly",
        description=(
            f"Your weekly mixtape of fresh music, made for {name}. "
            f"New every Monday (week {week} of {year})."
        ),
        public=False,
        kind="DISCOVER_WEEKLY",
        snapshot_id=_snapshot("dw", viewer.user_id, year, week, *ids),
        owner_id=viewer.user_id,
        track_count=len(ids),
        track_ids=tuple(ids),
        generated_at=int(_week_start(today).timestamp() * 1000),
    )


async def daily_mixes(ctx: Context, viewer: Viewer) -> list[PlaylistView]:
    history, user = await asyncio.gather(play_counts(ctx, viewer), user_record(ctx, viewer))
    core = ctx.services.ranking.core
    allow_explicit = not (user.explicit_filter if user else False)
    key = ("mixes", viewer.user_id, allow_explicit, core.version, history_fingerprint(history))
    cache = ctx.services.clients.viewer_cache
    mixes = cache.get(key)
    if mixes is None:
        mixes = core.daily_mixes(history, allow_explicit=allow_explicit, size=DAILY_MIX_SIZE)
        cache.set(key, mixes)
    artist_ids = list(dict.fromkeys(a for m in mixes for a in m.top_artist_ids[:3]))
    artists = {
        a.id: a.name for a in await ctx.loaders.artist_by_id.load_many(artist_ids) if a is not None
    }
    today = dt.datetime.now(dt.UTC)
    midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
    fresh_until((midnight + dt.timedelta(days=1)).timestamp())  # generated daily
    views = []
    for position, mix in enumerate(mixes, start=1):
        names = [artists[a] for a in mix.top_artist_ids[:3] if a in artists]
        headline = ", ".join(names[:2]) + (" and more" if len(names) > 2 else "")
        views.append(
            PlaylistView(
                key=f"{DAILY_MIX}{position}:{viewer.handle}",
                name=f"Daily Mix {position}" + (f": {headline}" if headline else ""),
                description=f"{', '.join(names) or 'Your favourites'} — the music you love, "
                "with new picks in the same vein.",
                public=False,
                kind="DAILY_MIX",
                snapshot_id=_snapshot("mix", viewer.user_id, position, *mix.track_ids),
                owner_id=viewer.user_id,
                track_count=len(mix.track_ids),
                track_ids=tuple(mix.track_ids),
                generated_at=int(midnight.timestamp() * 1000),
            )
        )
    return views


async def discover_weekly_of(ctx: Context, user_id: int) -> PlaylistView:
    """``user_id``'s Discover Weekly, for the listener themself only."""
    return await discover_weekly(ctx, require_self(ctx.viewer, user_id))


async def daily_mixes_of(ctx: Context, user_id: int) -> list[PlaylistView]:
    """``user_id``'s Daily Mixes, for the listener themself only."""
    return await daily_mixes(ctx, require_self(ctx.viewer, user_id))


async def mix_by_key(ctx: Context, key: str) -> PlaylistView | None:
    """A generated playlist by key; only its own listener can see it."""
    kind, _, handle = key.partition(":")
    viewer = ctx.viewer
    if viewer is None or not is_self(viewer, handle):
        return None
    if kind == DISCOVER_WEEKLY:
        return await discover_weekly(ctx, viewer)
    if kind.startswith(DAILY_MIX) and kind[len(DAILY_MIX) :].isdigit():
        index = int(kind[len(DAILY_MIX) :])
        mixes = await daily_mixes(ctx, viewer)
        return mixes[index - 1] if 1 <= index <= len(mixes) else None
    return None
