"""Opening the SQLite store the way every reference backend needs it.

WAL journaling lets the read-mostly services (catalog, search) read while the playlists
service writes; ``synchronous=FULL`` makes an acknowledged write survive a killed process
and a power cut (WAL + FULL fsyncs the log on every commit).
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path

SCHEMA_VERSION = "1"


def connect(
    path: Path | str,
    *,
    read_only: bool = False,
    factory: type[sqlite3.Connection] = sqlite3.Connection,
) -> sqlite3.Connection:
    """Open the store with the pragmas the services rely on.

    ``check_same_thread`` is off because Starlette runs sync endpoints in a thread pool; each
    service serialises writes through one connection guarded by its own lock. ``factory``:
    the connection class (traced backends time their SQL, ``backends/sql_time.py``).
    """
    if read_only:
        uri = f"file:{Path(path).resolve()}?mode=ro"
        conn = sqlite3.connect(
            uri, uri=True, check_same_thread=False, isolation_level=None, factory=factory
        )
    else:
        conn = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, factory=factory
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def apply_schema(conn: sqlite3.Connection) -> None:
    """Create every table and index that does not exist yet (idempotent)."""
    sql = resources.files("backends.store").joinpath("schema.sql").read_text(encoding="utf-8")
    conn.executescript(sql)
