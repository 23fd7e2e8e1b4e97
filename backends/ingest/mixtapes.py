"""Simulated listeners' own playlists, made from what they actually play.

Each listener keeps 0-4 playlists. A playlist has a theme taken from their listening (one of
their genres plus a mood that suits what they play in it), is named after it ("Chill
country", "Metal workout") and holds 10-60 of their played tracks that fit the theme, so
playlist co-membership carries the same taste signal as the plays.
"""

from __future__ import annotations

import numpy as np

from backends.ingest.anchor import ANCHOR_MS, DAY_MS, WINDOW_START_MS
from backends.ingest.catalog import Catalog
from backends.ingest.listeners import Listener
from backends.ingest.moods import MOODS, Mood, genre_title
from backends.ingest.playlist import PlaylistDraft

PLAYLISTS_PER_LISTENER = (0.35, 0.30, 0.18, 0.11, 0.06)  # P(0), P(1), ... P(4)
PUBLIC_SHARE = 0.4
MIN_TRACKS, MAX_TRACKS = 10, 60
DESCRIPTIONS = (
    "",
    "",
    "",
    "{mood} for every day.",
    "My {genre} picks.",
    "On repeat lately.",
    "Mostly {genre}, always {mood}.",
)


def _name(rng: np.random.Generator, mood: Mood | None, genre: str) -> str:
    if mood is None:
        template = "{genre} favourites"
    else:
        template = mood.names[int(rng.integers(len(mood.names)))]
    name = template.format(genre=genre_title(genre).lower())
    return name[0].upper() + name[1:]  # str.capitalize would lower-case the rest


def _tracks(
    rng: np.random.Generator, catalog: Catalog, listener: Listener, genre: int, mood: Mood | None
) -> list[int]:
    played, counts = np.unique(listener.history.tracks, return_counts=True)
    in_genre = catalog.genre_matrix[played, genre] > 0
    played, counts = played[in_genre], counts[in_genre]
    size = int(rng.integers(MIN_TRACKS, MAX_TRACKS + 1))
    fit = np.log1p(counts.astype(np.float64))
    if mood is not None:
        features = {name: values[played] for name, values in catalog.features.items()}
        fit = fit + 3.0 * mood.score(features)
    # Weighted draw without replacement: the best fits are likely, not certain, to be in.
    weights = np.exp(fit - fit.max()) if len(fit) else fit
    take = min(size, len(played))
    chosen = (
        rng.choice(played, size=take, replace=False, p=weights / weights.sum())
        if take
        else np.empty(0, dtype=np.int64)
    )
    if take < MIN_TRACKS:
        # Too few plays in this genre: top up from tracks the listener would like but has
        # not played yet, as people do when they build a playlist.
        taste = listener.taste.weights * catalog.genre_matrix[:, genre]
        taste[chosen] = 0.0
        extra = min(MIN_TRACKS - take, int(np.count_nonzero(taste)))
        if extra:
            chosen = np.concatenate(
                [
                    chosen,
                    rng.choice(
                        catalog.track_count, size=extra, replace=False, p=taste / taste.sum()
                    ),
                ]
            )
    return [int(track) + 1 for track in chosen]


def _playlist(
    rng: np.random.Generator, catalog: Catalog, listener: Listener, used: set[str]
) -> PlaylistDraft | None:
    history = listener.history
    genre_plays = catalog.genre_matrix[history.tracks].sum(axis=0)
    if genre_plays.sum() == 0:
        return None
    genre = int(rng.choice(len(catalog.genres), p=genre_plays / genre_plays.sum()))
    mood: Mood | None = None
    if rng.random() < 0.8:
        # The mood that best describes what this listener plays in the genre, softly.
        in_genre = history.tracks[catalog.genre_matrix[history.tracks, genre] > 0]
        features = {name: values[in_genre] for name, values in catalog.features.items()}
        fits = np.array([mood.score(features).mean() for mood in MOODS])
        soft = np.exp((fits - fits.max()) * 6.0)
        mood = MOODS[int(rng.choice(len(MOODS), p=soft / soft.sum()))]
    name = _name(rng, mood, catalog.genres[genre])
    if name in used:
        return None  # one "Chill country" per listener is enough
    used.add(name)
    track_ids = _tracks(rng, catalog, listener, genre, mood)
    if not track_ids:
        return None
    created_at = int(rng.integers(WINDOW_START_MS - 180 * DAY_MS, ANCHOR_MS - 2 * DAY_MS))
    # Most tracks go in on the day it is made, the rest trickle in over the following weeks.
    span = min(ANCHOR_MS - created_at, 45 * DAY_MS)
    delays = np.where(
        rng.random(len(track_ids)) < 0.6,
        rng.integers(0, 3_600_000, size=len(track_ids)),
        rng.integers(0, span, size=len(track_ids)),
    )
    template = DESCRIPTIONS[int(rng.integers(len(DESCRIPTIONS)))]
    description = template.format(
        mood=(mood.title if mood else "good").lower(),
        genre=genre_title(catalog.genres[genre]).lower(),
    )
    description = description[:1].upper() + description[1:]
    return PlaylistDraft(
        owner_id=listener.profile.user_id,
        name=name,
        description=description,
        public=bool(rng.random() < PUBLIC_SHARE),
        kind="user",
        tag=None,
        created_at=created_at,
        track_ids=track_ids,
        added_at=(created_at + np.sort(delays)).tolist(),
    )


def listener_playlists(
    rng: np.random.Generator, catalog: Catalog, listeners: list[Listener]
) -> list[PlaylistDraft]:
    drafts = []
    for listener in listeners:
        used: set[str] = set()
        wanted = int(rng.choice(len(PLAYLISTS_PER_LISTENER), p=PLAYLISTS_PER_LISTENER))
        for _ in range(wanted):
            draft = _playlist(rng, catalog, listener, used)
            if draft is not None:
                drafts.append(draft)
    return drafts
