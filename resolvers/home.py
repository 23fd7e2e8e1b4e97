"""Home: a greeting and ranked shelves of tracks, artists, albums and playlists.

Candidate generators build each shelf (recently played, made for you, because you listened
to X, top artists, albums for you, top genres, popular, moods); shelves are then ordered by a
score that mixes a prior with the listener's own signals, and items already shown in a
higher shelf are removed from the lower ones (de-duplication across shelves).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from resolvers import taste
from resolvers.access import can_read_playlist
from resolvers.clients.errors import BackendError
from resolvers.clients.footprint import fresh_until, not_reusable
from resolvers.clients.records import Play, UserRecord
from resolvers.experiments import expose
from resolvers.history import profile, user_record
from resolvers.hydrate import present, present_track_views
from resolvers.mixes import (
    allows_explicit,
    daily_mix_views,
    discover_weekly_view,
    leading_artists,
    todays_mixes,
)
from resolvers.views import AlbumView, HomeItemView, PlaylistView, TrackView

if TYPE_CHECKING:
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context

T = TypeVar("T")

SHELF_SIZE = taste.SHELF_SIZE
POPULAR_SIZE = SHELF_SIZE * 2  # charts read for the Popular shelf (shared, warmed at start-up)
MIN_ITEMS = 4


@dataclass(frozen=True, slots=True)
class Shelf:
    kind: str
    title: str
    items: tuple[HomeItemView, ...]
    score: float


@dataclass(frozen=True, slots=True)
class HomeView:
    greeting: str
    shelves: tuple[Shelf, ...]


def _zone(user: UserRecord | None) -> dt.tzinfo:
    if user is not None:
        try:
            return ZoneInfo(user.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return dt.UTC


def _part_of_day(hour: int) -> str:
    if 5 <= hour < 12:
        return "Good morning"
    if 12 <= hour < 17:
        return "Good afternoon"
    if 17 <= hour < 22:
        return "Good evening"
    return "Good night"


def greeting(user: UserRecord | None, now: dt.datetime) -> str:
    """Good morning / afternoon / evening / night in the listener's own time zone."""
    part = _part_of_day(now.astimezone(_zone(user)).hour)
    return f"{part}, {user.display_name.split()[0]}" if user else part


def greeting_changes_at(user: UserRecord | None, now: dt.datetime) -> float:
    """When (epoch seconds) the greeting for ``user`` next changes: a local hour boundary."""
    zone = _zone(user)
    local = now.astimezone(zone)
    current = _part_of_day(local.hour)
    boundary = now.timestamp() - (local.minute * 60 + local.second + local.microsecond / 1e6)
    for _ in range(24):
        boundary += 3600
        # fromtimestamp, not wall-clock arithmetic: daylight saving time moves the hours.
        if _part_of_day(dt.datetime.fromtimestamp(boundary, zone).hour) != current:
            return boundary
    return boundary


def _item_key(item: HomeItemView) -> tuple[str, object]:
    if isinstance(item, TrackView):
        return ("track", item.track.id)
    if isinstance(item, AlbumView):
        return ("album", item.album.id)
    if isinstance(item, PlaylistView):
        return ("playlist", item.key)
    return ("artist", item.id)


def arrange(shelves: Sequence[Shelf]) -> tuple[Shelf, ...]:
    """Order shelves by score, drop repeats of items shown higher up, drop thin shelves."""
    seen: set[tuple[str, object]] = set()
    arranged = []
    for shelf in sorted(shelves, key=lambda s: -s.score):
        fresh = tuple(i for i in shelf.items if _item_key(i) not in seen)
        if len(fresh) < MIN_ITEMS:
            continue
        seen.update(_item_key(i) for i in fresh)
        arranged.append(Shelf(shelf.kind, shelf.title, fresh[:SHELF_SIZE], shelf.score))
    return tuple(arranged)


async def home(ctx: Context, now: dt.datetime | None = None) -> HomeView:
    """Home from whatever sources answer: a failing backend costs only the shelves it feeds.

    The services whose shelves were left out are listed in ``extensions.degraded``; only
    when no shelf at all can be built does Home fail, with the first backend's error.
    """
    now = now or dt.datetime.now(dt.UTC)
    viewer = ctx.viewer
    failures: list[BackendError] = []
    popular_task = _tolerant(_popular(ctx), failures)
    editorial_task = _tolerant(_editorial(ctx), failures)
    if viewer is None:
        popular, editorial = await asyncio.gather(popular_task, editorial_task)
        personal, user = None, None
    else:
        popular, editorial, personal, user = await asyncio.gather(
            popular_task,
            editorial_task,
            _tolerant(_personal(ctx, viewer, now), failures),
            _tolerant(user_record(ctx, viewer), failures),
        )
    shelves, top_genres, last_played = personal or ([], (), None)
    if popular is not None:
        # Listeners with a history see the charts below their own shelves.
        shelves.append(Shelf(popular.kind, popular.title, popular.items, 0.3 if personal else 0.5))
    shelves += _editorial_shelves(editorial or [], top_genres=top_genres)
    arranged = arrange(shelves)
    if failures:
        if not arranged:
            raise failures[0]
        degraded = set(ctx.extensions.get("degraded", ())) | {f.service for f in failures}
        ctx.extensions["degraded"] = sorted(degraded)
        not_reusable()  # the next request may find every source answering
    # Home changes by itself as time passes: the greeting, and the order of the shelves.
    fresh_until(greeting_changes_at(user, now))
    order_changes = _order_changes_at(shelves, last_played, now)
    if order_changes is not None:
        fresh_until(order_changes)
    return HomeView(greeting(user, now), arranged)


async def _tolerant(source: Awaitable[T], failures: list[BackendError]) -> T | None:
    """The source's value, or None (its failure noted) when a backend behind it failed."""
    try:
        return await source
    except BackendError as error:
        failures.append(error)
        return None


async def _popular(ctx: Context) -> Shelf:
    ids = await ctx.services.clients.catalog.charts(limit=POPULAR_SIZE)
    tracks = await present_track_views(ctx.entities, ids)
    return Shelf("POPULAR", "Popular right now", tuple(tracks), 0.5)


async def _editorial(ctx: Context) -> list[PlaylistView]:
    records = await ctx.services.clients.playlists.editorial()
    views = (PlaylistView.from_record(r) for r in records)
    return [v for v in views if can_read_playlist(ctx.viewer, v)]


def _editorial_shelves(
    editorial: Sequence[PlaylistView], *, top_genres: Sequence[str]
) -> list[Shelf]:
    # The tag, not the display name, decides which shelf an editorial playlist belongs to.
    moods = [v for v in editorial if _tag(v).startswith("mood:")]
    genres = [v for v in editorial if _tag(v).startswith("genre:") or _tag(v) == "top-hits"]
    if top_genres:
        rank = {g: i for i, g in enumerate(top_genres)}
        mine = sorted(
            (v for v in genres if _tag(v).removeprefix("genre:") in rank),
            key=lambda v: rank[_tag(v).removeprefix("genre:")],
        )
        others = [v for v in genres if v not in mine]
        return [
            Shelf("TOP_GENRES", "Your top genres", tuple(mine + others), 0.55),
            Shelf("MOODS", "Moods and moments", tuple(moods), 0.35),
        ]
    return [
        Shelf("GENRES", "Browse by genre", tuple(genres), 0.45),
        Shelf("MOODS", "Moods and moments", tuple(moods), 0.4),
    ]


def _tag(view: PlaylistView) -> str:
    return view.tag or ""


async def _personal(
    ctx: Context, viewer: Viewer, now: dt.datetime
) -> tuple[list[Shelf], tuple[str, ...], int | None] | None:
    """The listener's own shelves: one profile read, the day's picks (cached per listener),
    then one load of every entity they show, the genres and when they last played; None for
    a listener the library lacks."""
    found, genre_names = await asyncio.gather(
        profile(ctx, viewer), ctx.services.clients.catalog.genres()
    )
    if found is None:
        return None
    today = now.astimezone(dt.UTC).date()
    picks = taste.home_picks(
        ctx,
        viewer,
        found,
        variant=expose(ctx, viewer, "recommendations"),
        allow_explicit=allows_explicit(found),
        today=today,
    )
    weekly = discover_weekly_view(ctx, viewer, found, today)
    mixes = todays_mixes(ctx, viewer, found, today)
    recent_ids = list(dict.fromkeys(p.track_id for p in found.recent))[:SHELF_SIZE]
    seed = [picks.seed] if picks.seed else []
    entities = ctx.entities
    await entities.load(
        tracks=[*recent_ids, *picks.because, *seed, *picks.recommended],
        artists=[*picks.top_artists, *leading_artists(mixes)],
    )
    recommended = present(entities, picks.recommended)
    album_ids = list(dict.fromkeys(t.track.album_id for t in recommended))[:SHELF_SIZE]
    albums = [a for a in map(entities.album, album_ids) if a is not None]
    artists = [a for a in map(entities.artist, picks.top_artists) if a is not None]
    shelves = [
        Shelf(
            "RECENTLY_PLAYED",
            "Recently played",
            tuple(present(entities, recent_ids)),
            _RECENT_BASE + _RECENT_GAIN * _recent_activity(found.recent, now),
        ),
        Shelf(
            "MADE_FOR_YOU",
            "Made for you",
            (weekly, *daily_mix_views(viewer, mixes, entities)),
            0.9,
        ),
        Shelf("RECOMMENDED", "Recommended for you", tuple(recommended[:SHELF_SIZE]), 0.7),
        Shelf("TOP_ARTISTS", "Your top artists", tuple(artists), 0.65),
        Shelf("ALBUMS_FOR_YOU", "Albums for you", tuple(albums), 0.5),
    ]
    seed_view = entities.track(picks.seed) if picks.seed else None
    if seed_view is not None:
        shelves.append(
            Shelf(
                "BECAUSE_YOU_LISTENED",
                f"Because you listened to {seed_view.track.name}",
                tuple(present(entities, picks.because)),
                0.75,
            )
        )
    top_genres = tuple(genre_names.get(g, "") for g in picks.top_genres)
    return shelves, top_genres, found.recent[0].played_at if found.recent else None


_FADE_H = 24 * 7
_RECENT_BASE, _RECENT_GAIN = 0.6, 0.35


def _recent_activity(recent: Sequence[Play], now: dt.datetime) -> float:
    """1.0 when the listener played something in the last hour, fading to 0 over a week."""
    if not recent:
        return 0.0
    age_h = max(0.0, now.timestamp() - recent[0].played_at / 1000) / 3600
    return max(0.0, 1.0 - age_h / _FADE_H) if age_h > 1 else 1.0


def _order_changes_at(
    shelves: Sequence[Shelf], last_played_ms: int | None, now: dt.datetime
) -> float | None:
    """When (epoch seconds) the fading "Recently played" score next passes another shelf's,
    which reorders Home (and so changes which repeats are dropped); None: it never will."""
    recent = next((s for s in shelves if s.kind == "RECENTLY_PLAYED"), None)
    if recent is None or last_played_ms is None:
        return None
    played = last_played_ms / 1000
    crossings = []
    for other in shelves:
        if other is recent or not _RECENT_BASE < other.score < recent.score:
            continue
        activity = (other.score - _RECENT_BASE) / _RECENT_GAIN
        # The score holds for the first hour, then falls linearly (see _recent_activity).
        crossings.append(played + max(1.0, (1.0 - activity) * _FADE_H) * 3600)
    later = [t for t in crossings if t > now.timestamp()]
    return min(later) if later else None
