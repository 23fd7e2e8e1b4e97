"""Time spent in SQLite per request: what a backend's server span reports as its SQL time.

With tracing on, the pool opens its connections as :class:`TimedConnection`, whose cursors
add the time of every ``execute`` and every fetch to the request's :class:`SqlClock` (a
context variable: Starlette runs sync endpoints in worker threads with a copy of the
request's context, and the clock object is shared, not copied). Without tracing the pool
opens plain connections and nothing here runs.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_CLOCK: ContextVar[SqlClock | None] = ContextVar("crossfade_sql_clock", default=None)


class SqlClock:
    """Seconds spent in SQLite and statements run, for one request."""

    __slots__ = ("seconds", "statements")

    def __init__(self) -> None:
        self.seconds = 0.0
        self.statements = 0


@contextmanager
def sql_clock() -> Iterator[SqlClock]:
    """Counts the SQL of everything this request runs, in this task or its worker threads."""
    clock = SqlClock()
    token = _CLOCK.set(clock)
    try:
        yield clock
    finally:
        _CLOCK.reset(token)


class TimedCursor(sqlite3.Cursor):
    """A cursor adding its statements' execution and fetch time to the request's clock."""

    def execute(self, sql: str, parameters: Any = (), /) -> TimedCursor:
        self._timed(super().execute, sql, parameters, statement=True)
        return self

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> TimedCursor:
        self._timed(super().executemany, sql, parameters, statement=True)
        return self

    def fetchone(self) -> Any:
        return self._timed(super().fetchone)

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        return self._timed(super().fetchmany, size)  # type: ignore[no-any-return]

    def fetchall(self) -> list[Any]:
        return self._timed(super().fetchall)  # type: ignore[no-any-return]

    def __next__(self) -> Any:
        return self._timed(super().__next__)

    def _timed(self, call: Callable[..., Any], *args: Any, statement: bool = False) -> Any:
        clock = _CLOCK.get()
        if clock is None:
            return call(*args)
        started = time.perf_counter()
        try:
            return call(*args)
        finally:
            clock.seconds += time.perf_counter() - started
            clock.statements += statement


class TimedConnection(sqlite3.Connection):
    """A connection whose ``execute`` shortcuts go through :class:`TimedCursor`."""

    def cursor(self, factory: Any = TimedCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        cursor: TimedCursor = self.cursor()
        return cursor.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        cursor: TimedCursor = self.cursor()
        return cursor.executemany(sql, parameters)
