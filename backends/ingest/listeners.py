"""Simulated listeners: who they are, what they played over 90 days, and what they liked.

Everything is drawn from one seeded generator and timed against the fixed anchor, so a seed
always gives the same rows. Listening happens in sessions: a session often sticks to one
genre, part of every session replays the listener's heavy rotation, and the number of
sessions per listener is Pareto distributed (most listen a little, a few a lot).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from backends.ingest.anchor import ANCHOR_MS, DAY_MS, WINDOW_DAYS, WINDOW_START_MS
from backends.ingest.catalog import Catalog, IntArray
from backends.ingest.profiles import Profile, make_profiles
from backends.ingest.taste import Taste, make_space, make_taste

HOUR_MS = 3_600_000
# Pareto shape and scale of sessions per listener: median ~9 sessions, mean ~18, capped so
# one simulated listener cannot dominate the data.
ACTIVITY_SHAPE = 1.5
SESSIONS_PER_ACTIVITY = 6.0
MAX_SESSIONS = 400
GENRE_SESSION_SHARE = 0.6  # sessions that stay within one genre
SESSION_GAP_MS = 15 * 60_000  # at least this long between one session's end and the next
PEAK_HOURS = (8.0, 12.5, 18.0, 21.0, 23.0)  # local hours listeners favour
SKIP_SHARE_NEW, SKIP_SHARE_REPEAT = 0.2, 0.05  # people skip less of what they replay
LIKE_WINDOW_MS = 7 * DAY_MS  # a like follows the first play by up to a week


@dataclass(frozen=True)
class History:
    """One listener's plays in time order; ``tracks`` are catalog indexes (ID - 1)."""

    tracks: IntArray
    played_at: IntArray
    ms_played: IntArray


@dataclass(frozen=True)
class Listener:
    profile: Profile
    taste: Taste
    history: History


def _session_starts(rng: np.random.Generator, profile: Profile, durations: IntArray) -> IntArray:
    count = len(durations)
    local_hours = rng.normal(float(rng.choice(PEAK_HOURS)), 2.5, size=count) % 24.0
    days = rng.integers(0, WINDOW_DAYS, size=count)
    starts = (
        WINDOW_START_MS
        + days * DAY_MS
        + ((local_hours - profile.utc_offset_hours) * HOUR_MS).astype(np.int64)
    )
    starts = np.sort(np.clip(starts, WINDOW_START_MS, ANCHOR_MS - 6 * HOUR_MS))
    # Push sessions later so none overlaps the previous one: start'_i = max(start_i,
    # start'_{i-1} + length_{i-1} + gap), which is a running max after removing the offsets.
    offsets = np.concatenate([[0], np.cumsum(durations[:-1] + SESSION_GAP_MS)])
    return np.maximum.accumulate(starts - offsets) + offsets  # type: ignore[no-any-return]


def _history(rng: np.random.Generator, catalog: Catalog, profile: Profile, taste: Taste) -> History:
    sessions = int(
        min(
            MAX_SESSIONS,
            max(1.0, round((rng.pareto(ACTIVITY_SHAPE) + 1.0) * SESSIONS_PER_ACTIVITY)),
        )
    )
    lengths = 1 + rng.poisson(rng.uniform(3.0, 13.0), size=sessions)
    total = int(lengths.sum())
    session_of = np.repeat(np.arange(sessions), lengths)

    # Heavy rotation: a handful of tracks replayed across sessions, the first ones most.
    playable = int(np.count_nonzero(taste.weights))
    rotation = rng.choice(
        catalog.track_count,
        size=min(int(rng.integers(5, 26)), playable),
        replace=False,
        p=taste.weights,
    )
    rank_weights = 1.0 / np.arange(1, len(rotation) + 1)
    repeat = rng.random(total) < rng.uniform(0.1, 0.45)
    tracks = np.empty(total, dtype=np.int64)
    tracks[repeat] = rotation[
        rng.choice(len(rotation), size=int(repeat.sum()), p=rank_weights / rank_weights.sum())
    ]

    genre_count = len(catalog.genres)
    session_genre = np.where(
        rng.random(sessions) < GENRE_SESSION_SHARE,
        rng.choice(genre_count, size=sessions, p=taste.genre_mix),
        -1,
    )
    play_genre = session_genre[session_of]
    for genre in range(-1, genre_count):
        chosen = ~repeat & (play_genre == genre)
        need = int(chosen.sum())
        if need == 0:
            continue
        weights = taste.weights if genre < 0 else taste.weights * catalog.genre_matrix[:, genre]
        cdf = np.cumsum(weights)
        if cdf[-1] <= 0.0:  # e.g. an explicit-filter listener and an all-explicit genre
            cdf = np.cumsum(taste.weights)
        # Inverse-CDF sampling: one cumsum serves every draw, unlike rng.choice(p=...).
        picks = np.searchsorted(cdf, rng.random(need) * cdf[-1], side="right")
        tracks[chosen] = np.minimum(picks, catalog.track_count - 1)

    durations = catalog.duration_ms[tracks]
    skipped = rng.random(total) < np.where(repeat, SKIP_SHARE_REPEAT, SKIP_SHARE_NEW)
    ms_played = np.where(
        skipped, (durations * rng.uniform(0.05, 0.5, size=total)).astype(np.int64), durations
    )
    steps = ms_played + rng.integers(0, 4000, size=total)  # a few seconds between tracks
    before = np.cumsum(steps) - steps  # time from the first play to each play
    session_first = np.cumsum(lengths) - lengths
    within = before - before[session_first][session_of]
    session_length = np.add.reduceat(steps, session_first)
    played_at = _session_starts(rng, profile, session_length)[session_of] + within
    keep = played_at < ANCHOR_MS  # pushed-back sessions may run past the anchor
    return History(tracks=tracks[keep], played_at=played_at[keep], ms_played=ms_played[keep])


def simulate_listeners(rng: np.random.Generator, catalog: Catalog, count: int) -> list[Listener]:
    """Profiles, tastes and histories of ``count`` listeners (user IDs 1..count)."""
    profile_rng, space_rng, taste_rng, history_rng = rng.spawn(4)
    profiles = make_profiles(profile_rng, count)
    space = make_space(space_rng, catalog)
    listeners = []
    for profile in profiles:
        taste = make_taste(taste_rng, catalog, space, profile.explicit_filter)
        listeners.append(Listener(profile, taste, _history(history_rng, catalog, profile, taste)))
    return listeners


def _likes(
    rng: np.random.Generator, catalog: Catalog, listener: Listener
) -> list[tuple[int, int, int]]:
    history = listener.history
    if len(history.tracks) == 0:
        return []
    # np.unique's first index is the first play, because the history is in time order.
    tracks, first, counts = np.unique(history.tracks, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    top = order[: max(1, round(len(tracks) * rng.uniform(0.05, 0.2)))]
    first_at = history.played_at[first[top]]
    liked_at = first_at + (
        rng.random(len(top)) * np.minimum(ANCHOR_MS - first_at, LIKE_WINDOW_MS)
    ).astype(np.int64)
    likes = dict(zip(tracks[top].tolist(), liked_at.tolist(), strict=True))
    # A few likes of tracks found elsewhere (a friend's playlist, the radio): still on taste.
    for track in rng.choice(
        catalog.track_count, size=int(rng.poisson(2.0)), p=listener.taste.weights
    ).tolist():
        likes.setdefault(track, int(rng.integers(WINDOW_START_MS, ANCHOR_MS)))
    user_id = listener.profile.user_id
    return [(user_id, track + 1, at) for track, at in likes.items()]


def write_listeners(
    conn: sqlite3.Connection, rng: np.random.Generator, catalog: Catalog, listeners: list[Listener]
) -> tuple[int, int]:
    """Insert users, plays and likes; return (plays, likes). The caller owns the transaction."""
    conn.executemany(
        "INSERT INTO users (id, display_name, country, timezone, explicit_filter, simulated,"
        " created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
        [
            (p.user_id, p.display_name, p.country, p.timezone, int(p.explicit_filter), p.created_at)
            for p in (listener.profile for listener in listeners)
        ],
    )
    users = np.concatenate(
        [
            np.full(len(listener.history.tracks), listener.profile.user_id, dtype=np.int64)
            for listener in listeners
        ]
    )
    tracks = np.concatenate([listener.history.tracks for listener in listeners]) + 1
    played_at = np.concatenate([listener.history.played_at for listener in listeners])
    ms_played = np.concatenate([listener.history.ms_played for listener in listeners])
    ids = np.arange(1, len(users) + 1)
    conn.executemany(
        "INSERT INTO plays (id, user_id, track_id, played_at, ms_played, simulated)"
        " VALUES (?, ?, ?, ?, ?, 1)",
        zip(
            ids.tolist(),
            users.tolist(),
            tracks.tolist(),
            played_at.tolist(),
            ms_played.tolist(),
            strict=True,
        ),
    )
    likes = [like for listener in listeners for like in _likes(rng, catalog, listener)]
    conn.executemany("INSERT INTO likes (user_id, track_id, liked_at) VALUES (?, ?, ?)", likes)
    return len(users), len(likes)
