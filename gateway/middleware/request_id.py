"""Gives every request an ID (the caller's ``X-Request-ID`` if sane), logs it, echoes it."""

from __future__ import annotations

import itertools
import os
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.logs import access, request_id
from gateway.request_state import request_state

_SANE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# 32 hex digits as uuid4().hex gave, unique across processes (a random half) and within one
# (a counter), without a system call per request.
_PREFIX = os.urandom(8).hex()
_ids = itertools.count(int.from_bytes(os.urandom(4), "big"))


def _next_id() -> str:
    return f"{_PREFIX}{next(_ids) & 0xFFFF_FFFF_FFFF_FFFF:016x}"


def assign(scope: Scope) -> str:
    """This request's ID: the caller's ``X-Request-ID`` when sane, else a new one."""
    for key, value in scope["headers"]:
        if key == b"x-request-id":
            incoming: str = value.decode("latin-1")
            if _SANE.match(incoming):
                return incoming
            break
    return _next_id()


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = assign(scope)
        token = request_id.set(rid)
        request_state(scope).request_id = rid
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            ms = round((time.perf_counter() - started) * 1000, 2)
            access(scope["method"], scope["path"], status, ms)
            request_id.reset(token)
