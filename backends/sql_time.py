"""Time spent in SQLite per request, answered in ``Server-Timing: sql;dur=<ms>``.

With tracing on, the pool opens its connections as :class:`TimedConnection`, whose cursors
add the time of every ``execute`` and every fetch to the request's :class:`SqlClock` (a
context variable: Starlette runs sync endpoints in worker threads with a copy of the
request's context, and the clock object is shared, not copied). :class:`SqlTimingMiddleware`
opens the clock and answers the total in a ``Server-Timing`` header, which the gateway's
traced client copies onto its span; a traced backend process also puts it on its own server
span (``backends/tracing.py``). Without tracing the pool opens plain connections and nothing
here runs.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Where the middleware leaves the request's clock for a server span around it.
SCOPE_KEY = "crossfade.sql_clock"
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


class SqlTimingMiddleware:
    """Times the SQL of each request and answers it in ``Server-Timing: sql;dur=<ms>``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_timing(message: Message) -> None:
            # Sync endpoints have run all their SQL by the time the response starts.
            if message["type"] == "http.response.start":
                timing = f"sql;dur={clock.seconds * 1000:.3f}".encode("latin-1")
                message.setdefault("headers", []).append((b"server-timing", timing))
            await send(message)

        with sql_clock() as clock:
            scope[SCOPE_KEY] = clock
            await self.app(scope, receive, send_with_timing)
