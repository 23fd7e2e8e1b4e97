"""Moods read from the audio features, shared by editorial and simulated user playlists.

Each mood scores every track in [0, 1]-ish from its features; a playlist takes the best
scoring tracks rather than a hard filter, so every mood fills even in a catalog that leans
loud (metal, dubstep) and has few truly quiet tracks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backends.ingest.catalog import FloatArray


@dataclass(frozen=True)
class Mood:
    slug: str
    title: str  # as an editorial playlist name
    names: tuple[str, ...]  # user playlist name templates, "{genre}" in lower case
    description: str
    score: Callable[[dict[str, FloatArray]], FloatArray]


def _tempo(f: dict[str, FloatArray]) -> FloatArray:
    # 90 bpm and below counts as slow, 170 and above as fast.
    return np.clip((f["tempo"] - 90.0) / 80.0, 0.0, 1.0)


MOODS: tuple[Mood, ...] = (
    Mood(
        "chill",
        "Chill",
        ("Chill {genre}", "{genre} to chill to"),
        "Low energy, acoustic and unhurried.",
        lambda f: (1.0 - f["energy"]) * 0.6 + f["acousticness"] * 0.4,
    ),
    Mood(
        "workout",
        "Workout",
        ("{genre} workout", "Gym {genre}"),
        "High energy and a fast tempo to keep you moving.",
        lambda f: f["energy"] * 0.6 + _tempo(f) * 0.4,
    ),
    Mood(
        "happy",
        "Happy",
        ("Happy {genre}", "Feel-good {genre}"),
        "Bright, upbeat tracks with a high valence.",
        lambda f: f["valence"] * 0.8 + f["energy"] * 0.2,
    ),
    Mood(
        "dance-party",
        "Dance Party",
        ("{genre} party", "Party {genre}"),
        "The most danceable tracks in the catalog.",
        lambda f: f["danceability"] * 0.8 + f["energy"] * 0.2,
    ),
    Mood(
        "dark-heavy",
        "Dark & Heavy",
        ("Dark {genre}", "Heavy {genre}"),
        "Low valence, high energy: heavy and brooding.",
        lambda f: (1.0 - f["valence"]) * 0.5 + f["energy"] * 0.5,
    ),
    Mood(
        "focus",
        "Focus",
        ("{genre} for focus", "Deep work {genre}"),
        "Mostly instrumental, few vocals, for concentrating.",
        lambda f: f["instrumentalness"] * 0.7 + (1.0 - f["speechiness"]) * 0.3,
    ),
)

GENRE_TITLES = {
    "country": "Country",
    "deep-house": "Deep House",
    "dubstep": "Dubstep",
    "hip-hop": "Hip-Hop",
    "metal": "Metal",
    "rock": "Rock",
}


def genre_title(name: str) -> str:
    """Display form of a source genre name (unknown names are title-cased)."""
    return GENRE_TITLES.get(name, name.replace("-", " ").title())
