"""Editorial playlists: one per genre, Top Hits, and one per mood.

Owned by nobody (``owner_id`` NULL), public, and tagged so the playlists service can list
them (``genre:<name>``, ``top-hits``, ``mood:<slug>``).
"""

from __future__ import annotations

import numpy as np

from backends.ingest.anchor import ANCHOR_MS, DAY_MS
from backends.ingest.catalog import Catalog, FloatArray
from backends.ingest.moods import MOODS, genre_title
from backends.ingest.playlist import PlaylistDraft

PLAYLIST_SIZE = 50
# An editorial list with ten tracks by one band reads as a mistake; two per artist at most.
MAX_PER_ARTIST = 2
# How much popularity counts next to mood fit, so mood lists favour tracks people know.
POPULARITY_WEIGHT = 0.3
CREATED_AT = ANCHOR_MS - 60 * DAY_MS
UPDATED_AT = ANCHOR_MS - 1 * DAY_MS


def _pick(catalog: Catalog, score: FloatArray, eligible: FloatArray | None = None) -> list[int]:
    """Best-scoring track IDs, at most MAX_PER_ARTIST per primary artist, ties by ID."""
    # lexsort's last key is the primary one; the track index breaks ties deterministically.
    order = np.lexsort((np.arange(catalog.track_count), -score))
    per_artist: dict[int, int] = {}
    picked: list[int] = []
    for track in order.tolist():
        if eligible is not None and not eligible[track]:
            continue
        artist = int(catalog.primary_artist[track])
        if per_artist.get(artist, 0) >= MAX_PER_ARTIST:
            continue
        per_artist[artist] = per_artist.get(artist, 0) + 1
        picked.append(track + 1)
        if len(picked) == PLAYLIST_SIZE:
            break
    return picked


def _draft(name: str, description: str, tag: str, track_ids: list[int]) -> PlaylistDraft:
    return PlaylistDraft(
        owner_id=None,
        name=name,
        description=description,
        public=True,
        kind="editorial",
        tag=tag,
        created_at=CREATED_AT,
        track_ids=track_ids,
        added_at=[UPDATED_AT] * len(track_ids),
    )


def editorial_playlists(catalog: Catalog) -> list[PlaylistDraft]:
    """Drafts in a fixed order: genres (catalog order), Top Hits, then moods."""
    popularity = catalog.popularity
    drafts = []
    for g, genre in enumerate(catalog.genres):
        title = genre_title(genre)
        drafts.append(
            _draft(
                f"{title} Essentials",
                f"The {PLAYLIST_SIZE} most popular {title.lower()} tracks right now.",
                f"genre:{genre}",
                _pick(catalog, popularity, eligible=catalog.genre_matrix[:, g]),
            )
        )
    drafts.append(
        _draft(
            "Top Hits",
            "The most popular tracks across every genre.",
            "top-hits",
            _pick(catalog, popularity),
        )
    )
    for mood in MOODS:
        score = mood.score(catalog.features) + POPULARITY_WEIGHT * popularity / 100.0
        drafts.append(
            _draft(mood.title, mood.description, f"mood:{mood.slug}", _pick(catalog, score))
        )
    return drafts
