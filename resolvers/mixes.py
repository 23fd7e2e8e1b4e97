"""Generated playlists: Discover Weekly and the Daily Mixes.

They are served from the batch job's results (``crossfade mixes build``, read through the
library backend) when it built them for the current week or day, the listener's current
explicit filter and no experiment overrides the model. Otherwise (a listener the batch has not
seen yet, chiefly a new one) the ranking core computes them at request time; the
``source`` says which.

They are personal: their global IDs name the listener, and only that listener can refetch
them. Request-time results are cached per viewer, keyed by the history fingerprint and the
model version, so a new play or a reloaded model gives fresh mixes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from typing import TYPE_CHECKING

from ranking import DailyMix
from ranking.mixes import DAILY_MIX_SIZE, DISCOVER_WEEKLY_SIZE
from ranking.period import day_of, week_of
from resolvers.access import is_self
from resolvers.clients.records import BatchMixRecord
from resolvers.experiments import expose
from resolvers.history import history_fingerprint, play_counts, profile
from resolvers.views import PlaylistView

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context

DISCOVER_WEEKLY = "discover-weekly"
DAILY_MIX = "daily-mix-"
BATCH = "BATCH"
REQUEST_TIME = "REQUEST_TIME"


def _snapshot(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:16]


def _now_ms() -> int:
    return int(time.time() * 1000)


async def _batch_mixes(ctx: Context, viewer: Viewer, today: dt.date) -> list[BatchMixRecord]:
    """The viewer's batch results for this week and day (one backend call per request)."""
    return await ctx.loaders.batch_mixes_by_period.load(
        (viewer.user_id, week_of(today), day_of(today))
    )


async def discover_weekly(ctx: Context, viewer: Viewer) -> PlaylistView:
    today = dt.datetime.now(dt.UTC).date()
    year, week, _ = today.isocalendar()
    model = expose(ctx, viewer, "recommendations").model_override
    user, batch = await asyncio.gather(profile(ctx, viewer), _batch_mixes(ctx, viewer, today))
    allow_explicit = not (user.explicit_filter if user else False)
    # A listener in an experiment arm that overrides the model gets that model's list.
    built = [
        m
        for m in batch
        if m.kind == "discover_weekly"
        and m.valid_for == week_of(today)
        and m.allow_explicit == allow_explicit
        and model is None
    ]
    if built:
        ids, generated_at, source = list(built[0].track_ids), built[0].generated_at, BATCH
    else:
        ids, generated_at = await _request_time_discover(
            ctx, viewer, year, week, allow_explicit, model
        )
        source = REQUEST_TIME
    name = user.display_name if user else viewer.handle
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
        generated_at=generated_at,
        source=source,
    )


async def _request_time_discover(
    ctx: Context, viewer: Viewer, year: int, week: int, allow_explicit: bool, model: str | None
) -> tuple[list[int], int]:
    history = await play_counts(ctx, viewer)
    core = ctx.services.ranking.core
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
    found: tuple[list[int], int] | None = cache.get(key)
    if found is None:
        ids = core.discover_weekly(
            history,
            viewer.handle,
            year,
            week,
            k=DISCOVER_WEEKLY_SIZE,
            allow_explicit=allow_explicit,
            model=model,
        )
        found = (ids, _now_ms())
        cache.set(key, found)
    return found


async def daily_mixes(ctx: Context, viewer: Viewer) -> list[PlaylistView]:
    today = dt.datetime.now(dt.UTC).date()
    user, batch = await asyncio.gather(profile(ctx, viewer), _batch_mixes(ctx, viewer, today))
    allow_explicit = not (user.explicit_filter if user else False)
    built = [
        m
        for m in batch
        if m.kind == "daily_mix"
        and m.valid_for == day_of(today)
        and m.allow_explicit == allow_explicit
    ]
    mixes: list[DailyMix]
    if built:
        mixes = [DailyMix(m.position, list(m.top_artist_ids), list(m.track_ids)) for m in built]
        generated_at, source = built[0].generated_at, BATCH
    else:
        mixes, generated_at = await _request_time_mixes(ctx, viewer, allow_explicit)
        source = REQUEST_TIME
    artist_ids = list(dict.fromkeys(a for m in mixes for a in m.top_artist_ids[:3]))
    artists = {
        a.id: a.name for a in await ctx.loaders.artist_by_id.load_many(artist_ids) if a is not None
    }
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
                generated_at=generated_at,
                source=source,
            )
        )
    return views


async def _request_time_mixes(
    ctx: Context, viewer: Viewer, allow_explicit: bool
) -> tuple[list[DailyMix], int]:
    history = await play_counts(ctx, viewer)
    core = ctx.services.ranking.core
    key = ("mixes", viewer.user_id, allow_explicit, core.version, history_fingerprint(history))
    cache = ctx.services.clients.viewer_cache
    found: tuple[list[DailyMix], int] | None = cache.get(key)
    if found is None:
        mixes = core.daily_mixes(history, allow_explicit=allow_explicit, size=DAILY_MIX_SIZE)
        found = (mixes, _now_ms())
        cache.set(key, found)
    return found


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
