"""Normalising the flat source table into genres, artists, albums and tracks.

IDs are 1-based positions in order of first appearance in the file, so the same file always
yields the same IDs. The source repeats a track once per genre it is filed under; the first
row wins for every column, and all its genres go to ``track_genres``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from backends.ingest.source import SourceRow

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Album credits list at most this many artists: compilations would otherwise credit dozens.
MAX_ALBUM_ARTISTS = 5


@dataclass(frozen=True)
class Catalog:
    """The normalised catalog, plus the per-track arrays the simulation samples from.

    Array index ``i`` is track ID ``i + 1``; genre, artist and album indexes are likewise
    their ID minus one.
    """

    genres: list[str]
    artists: list[str]
    artist_popularity: list[int]
    albums: list[str]
    album_popularity: list[int]
    album_artists: list[list[int]]  # artist indexes, most tracks first
    rows: list[SourceRow]  # the first source row of each track
    track_album: list[int]
    track_artists: list[list[int]]  # artist indexes in credit order
    track_genres: list[list[int]]  # genre indexes, first one is the track's genre
    genre: IntArray = field(repr=False)  # first genre index per track
    genre_matrix: FloatArray = field(repr=False)  # tracks x genres, 1.0 where filed
    primary_artist: IntArray = field(repr=False)
    popularity: FloatArray = field(repr=False)
    explicit: npt.NDArray[np.bool_] = field(repr=False)
    duration_ms: IntArray = field(repr=False)
    features: dict[str, FloatArray] = field(repr=False)

    @property
    def track_count(self) -> int:
        return len(self.rows)


FEATURE_NAMES = (
    "danceability",
    "energy",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "loudness",
)


def _index(names: dict[str, int], name: str) -> int:
    if name not in names:
        names[name] = len(names)
    return names[name]


def build_catalog(rows: list[SourceRow]) -> Catalog:
    """Deduplicate and split the source rows into the catalog's entities."""
    genre_ids: dict[str, int] = {}
    artist_ids: dict[str, int] = {}
    album_ids: dict[str, int] = {}
    track_ids: dict[str, int] = {}
    firsts: list[SourceRow] = []
    track_genres: list[list[int]] = []
    for row in rows:
        genre = _index(genre_ids, row.track_genre)
        if row.track_id in track_ids:
            genres = track_genres[track_ids[row.track_id]]
            if genre not in genres:
                genres.append(genre)
            continue
        track_ids[row.track_id] = len(firsts)
        firsts.append(row)
        track_genres.append([genre])

    artist_popularity: list[int] = []
    album_popularity: list[int] = []
    track_artists: list[list[int]] = []
    track_album: list[int] = []
    for row in firsts:
        credits: list[int] = []
        # Names are deduplicated exactly as spelled: the source has no artist IDs to do better.
        for name in row.artists.split(";"):
            artist = _index(artist_ids, name)
            if artist == len(artist_popularity):
                artist_popularity.append(0)
            artist_popularity[artist] = max(artist_popularity[artist], row.popularity)
            if artist not in credits:
                credits.append(artist)
        track_artists.append(credits)
        album = _index(album_ids, row.album_name)
        if album == len(album_popularity):
            album_popularity.append(0)
        album_popularity[album] = max(album_popularity[album], row.popularity)
        track_album.append(album)

    # Album credits: the primary artists of its tracks, the most frequent first; Counter keeps
    # first-seen order among ties, which keeps this deterministic.
    primaries: list[Counter[int]] = [Counter() for _ in album_ids]
    for album, credits in zip(track_album, track_artists, strict=True):
        primaries[album][credits[0]] += 1
    album_artists = [
        [artist for artist, _ in counts.most_common(MAX_ALBUM_ARTISTS)] for counts in primaries
    ]

    genre_matrix = np.zeros((len(firsts), len(genre_ids)))
    for track, genres in enumerate(track_genres):
        genre_matrix[track, genres] = 1.0
    return Catalog(
        genres=list(genre_ids),
        artists=list(artist_ids),
        artist_popularity=artist_popularity,
        albums=list(album_ids),
        album_popularity=album_popularity,
        album_artists=album_artists,
        rows=firsts,
        track_album=track_album,
        track_artists=track_artists,
        track_genres=track_genres,
        genre=np.array([genres[0] for genres in track_genres], dtype=np.int64),
        genre_matrix=genre_matrix,
        primary_artist=np.array([credits[0] for credits in track_artists], dtype=np.int64),
        popularity=np.array([row.popularity for row in firsts], dtype=np.float64),
        explicit=np.array([row.explicit for row in firsts], dtype=np.bool_),
        duration_ms=np.array([row.duration_ms for row in firsts], dtype=np.int64),
        features={
            name: np.array([getattr(row, name) for row in firsts], dtype=np.float64)
            for name in FEATURE_NAMES
        },
    )


def write_catalog(conn: sqlite3.Connection, catalog: Catalog) -> None:
    """Insert the catalog; the caller owns the transaction."""
    conn.executemany(
        "INSERT INTO genres (id, name) VALUES (?, ?)",
        [(i + 1, name) for i, name in enumerate(catalog.genres)],
    )
    conn.executemany(
        "INSERT INTO artists (id, name, popularity) VALUES (?, ?, ?)",
        [
            (i + 1, name, pop)
            for i, (name, pop) in enumerate(
                zip(catalog.artists, catalog.artist_popularity, strict=True)
            )
        ],
    )
    conn.executemany(
        "INSERT INTO albums (id, name, popularity) VALUES (?, ?, ?)",
        [
            (i + 1, name, pop)
            for i, (name, pop) in enumerate(
                zip(catalog.albums, catalog.album_popularity, strict=True)
            )
        ],
    )
    conn.executemany(
        "INSERT INTO album_artists (album_id, artist_id, position) VALUES (?, ?, ?)",
        [
            (album + 1, artist + 1, position)
            for album, credits in enumerate(catalog.album_artists)
            for position, artist in enumerate(credits)
        ],
    )
    conn.executemany(
        "INSERT INTO tracks (id, spotify_id, name, album_id, genre_id, duration_ms, explicit,"
        " popularity, danceability, energy, musical_key, loudness, mode, speechiness,"
        " acousticness, instrumentalness, liveness, valence, tempo, time_signature)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                i + 1,
                r.track_id,
                r.track_name,
                catalog.track_album[i] + 1,
                catalog.track_genres[i][0] + 1,
                r.duration_ms,
                int(r.explicit),
                r.popularity,
                r.danceability,
                r.energy,
                r.key,
                r.loudness,
                r.mode,
                r.speechiness,
                r.acousticness,
                r.instrumentalness,
                r.liveness,
                r.valence,
                r.tempo,
                r.time_signature,
            )
            for i, r in enumerate(catalog.rows)
        ],
    )
    conn.executemany(
        "INSERT INTO track_artists (track_id, artist_id, position) VALUES (?, ?, ?)",
        [
            (track + 1, artist + 1, position)
            for track, credits in enumerate(catalog.track_artists)
            for position, artist in enumerate(credits)
        ],
    )
    conn.executemany(
        "INSERT INTO track_genres (track_id, genre_id) VALUES (?, ?)",
        [
            (track + 1, genre + 1)
            for track, genres in enumerate(catalog.track_genres)
            for genre in genres
        ],
    )
