"""Generated playlists: Discover Weekly and the Daily Mixes.

They are served from the batch job's results (``crossfade mixes build``), which come with the
listener's profile, when it built them for the current week or day, the listener's current
explicit filter and no experiment overrides the model. Otherwise (a listener the batch has not
seen yet, chiefly a new one) the ranking core computes them at request time, once per
listener and day (week) from the history (``resolvers/taste.py``), so a new play or a
reloaded model gives fresh mixes. ``source`` says which.

They are personal: their global IDs name the listener, and only that listener can refetch
them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ranking.period import day_of, week_of
from resolvers import taste
from resolvers.access import is_self, require_self
from resolvers.clients.errors import NotFound
from resolvers.clients.footprint import fresh_until
from resolvers.clients.records import BatchMixRecord, Profile
from resolvers.experiments import expose
from resolvers.history import profile
from resolvers.views import PlaylistView

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context
    from resolvers.entities import Entities

DISCOVER_WEEKLY = "discover-weekly"
DAILY_MIX = "daily-mix-"
BATCH = "BATCH"
REQUEST_TIME = "REQUEST_TIME"


@dataclass(frozen=True, slots=True)
class TodaysMixes:
    """The Daily Mixes of one day, and where they come from."""

    mixes: tuple[taste.Mix, ...]
    generated_at: int  # unix ms: the batch run's time, else the day's start
    source: str  # BATCH | REQUEST_TIME


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _week_start(today: dt.date) -> dt.datetime:
    monday = today - dt.timedelta(days=today.weekday())
    return dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)


def allows_explicit(found: Profile) -> bool:
    return not found.user.explicit_filter


def _built(found: Profile, kind: str, period: str) -> list[BatchMixRecord]:
    """The batch job's ``kind`` mixes for ``period``, if built for the current filter."""
    allow = allows_explicit(found)
    return [
        m
        for m in found.mixes
        if m.kind == kind and m.valid_for == period and m.allow_explicit == allow
    ]


def discover_weekly_view(
    ctx: Context, viewer: Viewer, found: Profile, today: dt.date
) -> PlaylistView:
    """This week's Discover Weekly (no I/O: the profile is read, the picks are built by the
    batch job or cached)."""
    model = expose(ctx, viewer, "recommendations").model_override
    year, week, _ = today.isocalendar()
    week_start = _week_start(today)
    fresh_until((week_start + dt.timedelta(weeks=1)).timestamp())  # a new mixtape
    # A listener in an experiment arm that overrides the model gets that model's list.
    built = _built(found, "discover_weekly", week_of(today)) if model is None else []
    if built:
        weekly = taste.as_weekly(viewer.user_id, year, week, built[0].track_ids)
        generated_at, source = built[0].generated_at, BATCH
    else:
        weekly = taste.discover_weekly(
            ctx,
            viewer,
            found,
            model=model,
            allow_explicit=allows_explicit(found),
            today=today,
        )
        generated_at, source = _ms(week_start), REQUEST_TIME
    return PlaylistView(
        key=f"{DISCOVER_WEEKLY}:{viewer.handle}",
        name="Discover Weekly",
        description=(
            f"Your weekly mixtape of fresh music, made for {found.user.display_name}. "
            f"New every Monday (week {week} of {year})."
        ),
        public=False,
        kind="DISCOVER_WEEKLY",
        snapshot_id=weekly.snapshot_id,
        owner_id=viewer.user_id,
        track_count=len(weekly.track_ids),
        track_ids=tuple(weekly.track_ids),
        generated_at=generated_at,
        source=source,
    )


def todays_mixes(ctx: Context, viewer: Viewer, found: Profile, today: dt.date) -> TodaysMixes:
    midnight = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    fresh_until((midnight + dt.timedelta(days=1)).timestamp())  # generated daily
    built = _built(found, "daily_mix", day_of(today))
    if built:
        mixes = tuple(
            taste.as_mix(viewer.user_id, m.position, m.top_artist_ids, m.track_ids) for m in built
        )
        return TodaysMixes(mixes, built[0].generated_at, BATCH)
    computed = taste.daily_mixes(
        ctx, viewer, found, allow_explicit=allows_explicit(found), today=today
    )
    return TodaysMixes(computed, _ms(midnight), REQUEST_TIME)


def leading_artists(mixes: TodaysMixes) -> list[int]:
    """The artists the mixes are named after (load them before :func:`daily_mix_views`)."""
    return list(dict.fromkeys(a for m in mixes.mixes for a in m.top_artist_ids[:3]))


def daily_mix_views(viewer: Viewer, mixes: TodaysMixes, entities: Entities) -> list[PlaylistView]:
    """The mixes as playlists, named after their loaded leading artists (no I/O)."""
    views = []
    for mix in mixes.mixes:
        found = (entities.artist(a) for a in mix.top_artist_ids[:3])
        names = [a.name for a in found if a is not None]
        headline = ", ".join(names[:2]) + (" and more" if len(names) > 2 else "")
        views.append(
            PlaylistView(
                key=f"{DAILY_MIX}{mix.index}:{viewer.handle}",
                name=f"Daily Mix {mix.index}" + (f": {headline}" if headline else ""),
                description=f"{', '.join(names) or 'Your favourites'} — the music you love, "
                "with new picks in the same vein.",
                public=False,
                kind="DAILY_MIX",
                snapshot_id=mix.snapshot_id,
                owner_id=viewer.user_id,
                track_count=len(mix.track_ids),
                track_ids=tuple(mix.track_ids),
                generated_at=mixes.generated_at,
                source=mixes.source,
            )
        )
    return views


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


async def _profile(ctx: Context, viewer: Viewer) -> Profile:
    found = await profile(ctx, viewer)
    if found is None:
        raise NotFound("No such listener.")
    return found


async def discover_weekly(ctx: Context, viewer: Viewer) -> PlaylistView:
    """The viewer's Discover Weekly, its tracks loaded with it: whoever asks for the playlist
    nearly always shows them, and they then cost no call of their own."""
    today = _today()
    view = discover_weekly_view(ctx, viewer, await _profile(ctx, viewer), today)
    await ctx.entities.load(tracks=view.track_ids or ())
    return view


async def daily_mixes(ctx: Context, viewer: Viewer) -> list[PlaylistView]:
    """The viewer's Daily Mixes, with their tracks and leading artists loaded in one batch."""
    today = _today()
    mixes = todays_mixes(ctx, viewer, await _profile(ctx, viewer), today)
    await ctx.entities.load(
        tracks=[t for m in mixes.mixes for t in m.track_ids], artists=leading_artists(mixes)
    )
    return daily_mix_views(viewer, mixes, ctx.entities)


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
