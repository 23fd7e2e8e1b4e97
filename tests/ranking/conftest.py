"""A tiny store with four clear tastes (one per genre), trained once per test session."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from backends.store import apply_schema
from gateway.config import Settings
from ranking import RankingCore, train

GENRES = 4
ARTISTS_PER_GENRE = 5
TRACKS_PER_ARTIST = 6
USERS = 240


def track_id(genre: int, artist: int, n: int) -> int:
    return 1 + (genre * ARTISTS_PER_GENRE + artist) * TRACKS_PER_ARTIST + n


def genre_tracks(genre: int) -> list[int]:
    return [
        track_id(genre, a, n) for a in range(ARTISTS_PER_GENRE) for n in range(TRACKS_PER_ARTIST)
    ]


def build_store(path: Path, build_key: str = "test-build-1") -> None:
    rng = np.random.default_rng(0)
    conn = sqlite3.connect(path)
    apply_schema(conn)
    conn.execute("INSERT INTO meta VALUES ('build_key', ?)", (build_key,))
    for g in range(GENRES):
        conn.execute("INSERT INTO genres VALUES (?, ?)", (g + 1, f"genre-{g}"))
    for g in range(GENRES):
        for a in range(ARTISTS_PER_GENRE):
            artist = g * ARTISTS_PER_GENRE + a + 1
            conn.execute("INSERT INTO artists VALUES (?, ?, 50)", (artist, f"artist-{artist}"))
            conn.execute("INSERT INTO albums VALUES (?, ?, 50)", (artist, f"album-{artist}"))
            for n in range(TRACKS_PER_ARTIST):
                t = track_id(g, a, n)
                conn.execute(
                    "INSERT INTO tracks VALUES (?, ?, ?, ?, ?, 200000, ?, ?,"
                    " .5, .5, 1, -5, 1, .1, .1, 0, .1, .5, 120, 4)",
                    (
                        t,
                        f"sp{t}",
                        f"track-{t}",
                        artist,
                        g + 1,
                        int(t % 5 == 0),
                        int(rng.integers(0, 100)),
                    ),
                )
                conn.execute("INSERT INTO track_artists VALUES (?, ?, 0)", (t, artist))
    play_id = 0
    for u in range(1, USERS + 1):
        conn.execute("INSERT INTO users VALUES (?, ?, 'SE', 'UTC', 0, 1, 0)", (u, f"u{u}"))
        tastes = rng.choice(GENRES, size=1 + (u % 2), replace=False)
        pool = [t for g in tastes for t in genre_tracks(int(g))]
        for t in rng.choice(pool, size=int(rng.integers(12, 22)), replace=False):
            for _ in range(int(rng.integers(1, 4))):
                play_id += 1
                conn.execute(
                    "INSERT INTO plays VALUES (?, ?, ?, ?, 180000, 1)",
                    (play_id, u, int(t), play_id),
                )
    conn.commit()
    conn.close()


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("ranking")
    db, models = root / "store.db", root / "models"
    build_store(db)
    train(db, models, max_ease_items=Settings().max_ease_items, progress=False)
    return db, models


@pytest.fixture(scope="session")
def core(trained: tuple[Path, Path]) -> RankingCore:
    return RankingCore.load(trained[1])
