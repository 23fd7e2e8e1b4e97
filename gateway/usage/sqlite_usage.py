"""Usage counts in the gateway's own SQLite file (``usage.db`` in the data dir by default).

Not the backends' store: the gateway reaches backends only over HTTP. Several gateway
processes on one host may share the file; each flush is one transaction of upserts that add
to the counts, so they add up.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from gateway.usage.usage_store import HOUR_S, UsageKey, UsageTotal, UsageWindow, hour_of

_SCHEMA = """
CREATE TABLE IF NOT EXISTS field_usage (
    hour           INTEGER NOT NULL,  -- start of the UTC hour, epoch seconds
    client         TEXT    NOT NULL,  -- 'unnamed' when the client sent no name
    client_version TEXT    NOT NULL,  -- '' when it sent no version
    operation      TEXT    NOT NULL,  -- '' for anonymous operations
    coordinate     TEXT    NOT NULL,  -- Type.field or Type.field(arg:)
    count          INTEGER NOT NULL,  -- executed operations that used it
    PRIMARY KEY (hour, client, client_version, operation, coordinate)
) WITHOUT ROWID;
"""
_UPSERT = (
    "INSERT INTO field_usage (hour, client, client_version, operation, coordinate, count) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (hour, client, client_version, operation, coordinate) "
    "DO UPDATE SET count = count + excluded.count"
)
_BUSY_TIMEOUT_S = 5.0


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(_SCHEMA)
    return conn


class SqliteUsage:
    """Both sides: the gateway's sink (writes in a worker thread) and the CLI's source."""

    def __init__(self, path: Path, *, retention_days: int) -> None:
        self.path = path
        self._retention_s = retention_days * 24 * HOUR_S

    async def add(self, rows: dict[UsageKey, int]) -> None:
        if rows:
            await asyncio.to_thread(self._write, rows)

    def _write(self, rows: dict[UsageKey, int]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = _connect(self.path)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(_UPSERT, [(*key, count) for key, count in rows.items()])
            # The primary key starts with the hour, so this is a range delete.
            conn.execute(
                "DELETE FROM field_usage WHERE hour < ?",
                (hour_of(time.time() - self._retention_s),),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def window(self, since_hour: int, client: str | None = None) -> UsageWindow:
        window = UsageWindow(since_hour=since_hour, source=str(self.path))
        if not self.path.exists():
            window.exists = False
            return window
        conn = _connect(self.path)
        try:
            where = "hour >= ?"
            params: list[int | str] = [since_hour]
            if client is not None:
                where += " AND client = ?"
                params.append(client)
            rows = conn.execute(
                "SELECT client, client_version, operation, coordinate, SUM(count), MAX(hour) "
                f"FROM field_usage WHERE {where} "
                "GROUP BY client, client_version, operation, coordinate",
                params,
            ).fetchall()
        finally:
            conn.close()
        window.totals = [UsageTotal(*row) for row in rows]
        return window
