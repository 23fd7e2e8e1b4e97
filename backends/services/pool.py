"""The SQLite connections of one backend service.

Starlette runs sync endpoints on a thread pool. A sqlite3 connection used by two threads at
once is not safe, so reads get one read-only connection per thread (WAL lets them read while
another process writes) and writes go through a single connection behind a lock.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from backends.sql_time import TimedConnection
from backends.store import connect


class ConnectionPool:
    """Per-thread readers plus, when ``writable``, one lock-guarded writer."""

    def __init__(self, path: Path, *, writable: bool, timed: bool = False) -> None:
        self.path = path
        self.writable = writable
        # Timed connections add their SQL time to the request's clock (tracing on).
        self._factory = TimedConnection if timed else sqlite3.Connection
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None

    def reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, read_only=True, factory=self._factory)
            self._local.conn = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The writer inside ``BEGIN IMMEDIATE``: the write lock is taken up front, so a
        check-then-write sequence cannot interleave with another process's write."""
        if not self.writable:
            raise RuntimeError("this service opened the store read-only")
        with self._write_lock:
            if self._writer is None:
                self._writer = connect(self.path, factory=self._factory)
                with self._opened_lock:
                    self._opened.append(self._writer)
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        self._local = threading.local()
        self._writer = None
