"""Honouring the caller's time budget: ``x-crossfade-deadline-ms``.

The gateway sends how many milliseconds it will still wait for an answer. A read still running
when they are spent is abandoned with 504 ``DEADLINE_EXCEEDED``: nobody will read its answer,
and the work (or the injected latency) must not pile up behind a caller that has gone.

Writes are never cut short: cancelling the request coroutine would not stop a transaction
already running in the thread pool, it would only hide its outcome. A write whose budget is
spent before it starts is refused instead, with the same 504.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backends.http import error_response

HEADER = b"x-crossfade-deadline-ms"
# Longer budgets are a client bug, not a wish to wait a day.
MAX_BUDGET_MS = 600_000


class DeadlineMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(HEADER)
        if raw is None:
            await self.app(scope, receive, send)
            return
        if not raw.isdigit() or not 0 < int(raw) <= MAX_BUDGET_MS:
            response = error_response(
                400,
                "BAD_REQUEST",
                f"x-crossfade-deadline-ms must be an integer from 1 to {MAX_BUDGET_MS}",
            )
            await response(scope, receive, send)
            return
        budget_s = int(raw) / 1000
        if scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return

        started = False

        async def send_started(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(budget_s):
                await self.app(scope, receive, send_started)
        except TimeoutError:
            if started:  # too late for a status: the caller sees a cut-off body
                raise
            response = error_response(
                504, "DEADLINE_EXCEEDED", f"the caller's budget of {raw.decode()} ms is spent"
            )
            await response(scope, receive, send)
