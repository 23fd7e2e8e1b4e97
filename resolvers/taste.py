"""What a listener's history decides for a day, computed once and kept per listener.

Home's picks (Recommended, Because you listened, top artists and genres) and the Daily Mixes
are computed once per listener per day, Discover Weekly once per ISO week. Each is cached
under a key holding everything it depends on: the listener, their history version (which
the library changes with every play, so a new play is folded in at the very next request),
the model version, the explicit filter, the experiment variant and the day or week. A key
never goes stale; the cache's size and lifetime (``CROSSFADE_VIEWER_CACHE_*``) only bound
memory. Personal: keyed by the listener, read only for that listener.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from array import array
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from ranking.mixes import DAILY_MIX_SIZE, DISCOVER_WEEKLY_SIZE
from resolvers.clients.records import Play, Profile

if TYPE_CHECKING:
    from ranking.core import RankingCore
    from ranking.experiments import Variant
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context

T = TypeVar("T")

SHELF_SIZE = 20
RECOMMENDED = 60
TOP_GENRES = 3


@dataclass(frozen=True, slots=True)
class HomePicks:
    """The IDs Home's ranked shelves show, best first."""

    seed: int | None  # the track "Because you listened to" starts from
    because: array[int]
    recommended: array[int]
    top_artists: array[int]
    top_genres: array[int]


@dataclass(frozen=True, slots=True)
class Weekly:
    """This week's Discover Weekly."""

    track_ids: array[int]
    snapshot_id: str


@dataclass(frozen=True, slots=True)
class Mix:
    """One Daily Mix: its position (1-based), leading artists and tracks."""

    index: int
    top_artist_ids: array[int]
    track_ids: array[int]
    snapshot_id: str


def _ids(values: Sequence[int]) -> array[int]:
    # Compact: a cached list of IDs costs 4 bytes an entry instead of a Python int's 36.
    return array("i", values)


def _snapshot(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:16]


def as_weekly(user_id: int, year: int, week: int, track_ids: Sequence[int]) -> Weekly:
    """Discover Weekly holding ``track_ids``; the same list gets the same snapshot ID
    whether a request or the batch job computed it."""
    return Weekly(_ids(track_ids), _snapshot("dw", user_id, year, week, *track_ids))


def as_mix(
    user_id: int, index: int, top_artist_ids: Sequence[int], track_ids: Sequence[int]
) -> Mix:
    """Daily Mix ``index`` (the same snapshot ID for the same list, as :func:`as_weekly`)."""
    return Mix(
        index,
        _ids(top_artist_ids),
        _ids(track_ids),
        _snapshot("mix", user_id, index, *track_ids),
    )


def _remembered(ctx: Context, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    cache = ctx.services.clients.viewer_cache
    found: T | None = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found)
    return found


def home_picks(
    ctx: Context,
    viewer: Viewer,
    profile: Profile,
    *,
    variant: Variant,
    allow_explicit: bool,
    today: dt.date,
) -> HomePicks:
    core = ctx.services.ranking.core
    key = (
        "home",
        viewer.user_id,
        profile.history.version,
        core.version,
        allow_explicit,
        variant.model_override,
        variant.diversity,
        today,
    )
    return _remembered(
        ctx, key, lambda: _home_picks(core, profile, variant, allow_explicit=allow_explicit)
    )


def _home_picks(
    core: RankingCore, profile: Profile, variant: Variant, *, allow_explicit: bool
) -> HomePicks:
    history = profile.history.as_dict()
    played = set(history)
    seed = _seed_track(profile.recent, history)
    because = (
        core.similar_tracks(seed, SHELF_SIZE, exclude=played, allow_explicit=allow_explicit)
        if seed
        else []
    )
    recommended = core.recommend(
        history,
        RECOMMENDED,
        exclude=played,
        allow_explicit=allow_explicit,
        max_per_artist=2 if variant.diversity else None,
        model=variant.model_override,
    )
    return HomePicks(
        seed=seed,
        because=_ids(because),
        recommended=_ids([s.track_id for s in recommended]),
        top_artists=_ids(core.top_artists(history, SHELF_SIZE)),
        top_genres=_ids(core.top_genres(history, TOP_GENRES)),
    )


def _seed_track(recent: Sequence[Play], history: dict[int, float]) -> int | None:
    """The recent track the listener came back to most: the best seed for "because you…"."""
    if not recent:
        return max(history, key=lambda t: history[t]) if history else None
    window = {p.track_id for p in recent[:20]}
    return max(window, key=lambda t: (history.get(t, 0.0), -t))


def discover_weekly(
    ctx: Context,
    viewer: Viewer,
    profile: Profile,
    *,
    model: str | None,
    allow_explicit: bool,
    today: dt.date,
) -> Weekly:
    core = ctx.services.ranking.core
    year, week, _ = today.isocalendar()
    key = (
        "dw",
        viewer.user_id,
        profile.history.version,
        core.version,
        allow_explicit,
        model,
        year,
        week,
    )

    def compute() -> Weekly:
        ids = core.discover_weekly(
            profile.history.as_dict(),
            viewer.handle,
            year,
            week,
            k=DISCOVER_WEEKLY_SIZE,
            allow_explicit=allow_explicit,
            model=model,
        )
        return as_weekly(viewer.user_id, year, week, ids)

    return _remembered(ctx, key, compute)


def daily_mixes(
    ctx: Context, viewer: Viewer, profile: Profile, *, allow_explicit: bool, today: dt.date
) -> tuple[Mix, ...]:
    core = ctx.services.ranking.core
    key = ("mixes", viewer.user_id, profile.history.version, core.version, allow_explicit, today)

    def compute() -> tuple[Mix, ...]:
        mixes = core.daily_mixes(
            profile.history.as_dict(), allow_explicit=allow_explicit, size=DAILY_MIX_SIZE
        )
        return tuple(
            as_mix(viewer.user_id, position, m.top_artist_ids, m.track_ids)
            for position, m in enumerate(mixes, start=1)
        )

    return _remembered(ctx, key, compute)
