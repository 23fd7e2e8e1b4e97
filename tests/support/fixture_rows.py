"""The rows of the small hand-made store (``store.fixture_store``): every table populated.

IDs are fixed so tests can name them. Track 1 is "Master Of Puppets" by Metallica; playlist 1
belongs to user 1; playlists 3 and 4 are editorial; playlist 2 is private.
"""

from __future__ import annotations

import sqlite3

from backends.store import SCHEMA_VERSION

GENRES = [(1, "metal"), (2, "rock"), (3, "pop"), (4, "latin")]

ARTISTS = [
    (1, "Metallica", 85),
    (2, "Ghost", 60),
    (3, "Ghostface Killah", 50),
    (4, "Beyoncé", 88),
    (5, "Los Ñandúes", 30),
]

# id, name, popularity, artist ids
ALBUMS = [
    (1, "Master Of Puppets", 85, [1]),
    (2, "Ride The Lightning", 75, [1]),
    (3, "Opus Eponymous", 60, [2]),
    (4, "Lemonade", 88, [4]),
    (5, "Ironman", 50, [3]),
    (6, "Pájaros", 30, [5]),
]

# id, name, album, artist ids, genre ids (first is the track's genre), popularity, explicit
TRACKS = [
    (1, "Master Of Puppets", 1, [1], [1, 2], 85, 0),
    (2, "Battery", 1, [1], [1], 70, 0),
    (3, "Fade To Black", 2, [1], [1], 75, 0),
    (4, "Ritual", 3, [2], [1, 2], 60, 0),
    (5, "Elizabeth", 3, [2], [1], 55, 0),
    (6, "Formation", 4, [4], [3], 88, 1),
    (7, "Hold Up", 4, [4], [3], 80, 0),
    (8, "Daytona", 5, [3, 4], [3], 50, 1),
    (9, "Canción del Ñandú", 6, [5], [4], 30, 0),
]

USERS = [
    (1, "Ana", "ES", "Europe/Madrid", 0, 1),
    (2, "Ben", "US", "America/New_York", 1, 1),
    (3, "Chen", "SG", "Asia/Singapore", 0, 0),
]

# user, track, played_at, ms_played
PLAYS = [
    (1, 1, 1_000, 200_000),
    (1, 1, 2_000, 300_000),
    (1, 2, 3_000, 100_000),
    (1, 6, 4_000, 50_000),
    (2, 4, 1_500, 120_000),
]

LIKES = [(1, 1, 1_000), (1, 6, 2_000), (2, 4, 1_000)]

# id, owner, name, description, public, kind, tag, updated_at, track ids
PLAYLISTS = [
    (1, 1, "Metal Mondays", "Heavy riffs for the week", 1, "user", None, 5_000, [1, 2, 3]),
    (2, 1, "Secret Stuff", "Only for me", 0, "user", None, 6_000, [4]),
    (3, None, "Top Hits", "The most played tracks", 1, "editorial", "top-hits", 4_000, [6, 1, 7]),
    (4, None, "Metal Essentials", "Riffs", 1, "editorial", "genre:metal", 3_000, [1, 4, 3]),
    (5, 2, "Ghost Party", "Spooky ghost tunes", 1, "user", None, 2_000, [4, 5]),
]


def write_fixture_rows(conn: sqlite3.Connection) -> None:
    """Insert every row above into a store whose schema is applied."""
    conn.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)",
        [("source", "fixture"), ("listeners", "simulated"), ("schema_version", SCHEMA_VERSION)],
    )
    conn.executemany("INSERT INTO genres (id, name) VALUES (?, ?)", GENRES)
    conn.executemany("INSERT INTO artists (id, name, popularity) VALUES (?, ?, ?)", ARTISTS)
    conn.executemany(
        "INSERT INTO albums (id, name, popularity) VALUES (?, ?, ?)",
        [album[:3] for album in ALBUMS],
    )
    conn.executemany(
        "INSERT INTO album_artists (album_id, artist_id, position) VALUES (?, ?, ?)",
        [(a[0], artist, pos) for a in ALBUMS for pos, artist in enumerate(a[3])],
    )
    conn.executemany(
        "INSERT INTO tracks (id, spotify_id, name, album_id, genre_id, duration_ms, explicit,"
        " popularity, danceability, energy, musical_key, loudness, mode, speechiness,"
        " acousticness, instrumentalness, liveness, valence, tempo, time_signature)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0.5, 0.8, 4, -6.5, 1, 0.05, 0.1, 0.0, 0.2, 0.4,"
        " 120.0, 4)",
        [(t[0], f"sp{t[0]}", t[1], t[2], t[4][0], 200_000 + t[0], t[6], t[5]) for t in TRACKS],
    )
    conn.executemany(
        "INSERT INTO track_artists (track_id, artist_id, position) VALUES (?, ?, ?)",
        [(t[0], artist, pos) for t in TRACKS for pos, artist in enumerate(t[3])],
    )
    conn.executemany(
        "INSERT INTO track_genres (track_id, genre_id) VALUES (?, ?)",
        [(t[0], genre) for t in TRACKS for genre in t[4]],
    )
    conn.executemany(
        "INSERT INTO users (id, display_name, country, timezone, explicit_filter,"
        " simulated, created_at) VALUES (?, ?, ?, ?, ?, ?, 0)",
        USERS,
    )
    conn.executemany(
        "INSERT INTO plays (user_id, track_id, played_at, ms_played) VALUES (?, ?, ?, ?)",
        PLAYS,
    )
    conn.executemany("INSERT INTO likes (user_id, track_id, liked_at) VALUES (?, ?, ?)", LIKES)
    conn.executemany(
        "INSERT INTO playlists (id, owner_id, name, description, public, kind, tag, version,"
        " track_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, 1000, ?)",
        [(*p[:7], len(p[8]), p[7]) for p in PLAYLISTS],
    )
    conn.executemany(
        "INSERT INTO playlist_tracks (playlist_id, track_id, added_at, added_by)"
        " VALUES (?, ?, ?, ?)",
        [(p[0], track, p[7], p[1]) for p in PLAYLISTS for track in p[8]],
    )
