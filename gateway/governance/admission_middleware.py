"""Admits GraphQL executions through :class:`Admission`, or refuses them: 503 ``OVERLOADED``
with ``Retry-After``. It sits after the response cache, so cache hits never wait here, and
covers ``/graphql`` only, so health checks never do either."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.governance.admission import Admission
from gateway.refusal import refusal
from resolvers.clients.errors import ErrorCode

RETRY_AFTER_S = 1


def _overloaded() -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The 503's headers and body, built once: under overload most answers are this one."""
    response = refusal(
        ErrorCode.OVERLOADED,
        f"The gateway is at capacity: retry in {RETRY_AFTER_S} s.",
        headers={"retry-after": str(RETRY_AFTER_S)},
        retryAfter=RETRY_AFTER_S,
    )
    return response.raw_headers, bytes(response.body)


_HEADERS, _BODY = _overloaded()


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, admission: Admission, path: str = "/graphql") -> None:
        self.app = app
        self.admission = admission
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        if not await self.admission.enter():
            # A fresh list: the layers above append their headers to it.
            await send({"type": "http.response.start", "status": 503, "headers": list(_HEADERS)})
            await send({"type": "http.response.body", "body": _BODY})
            return
        started = time.perf_counter()
        measured = False
        try:
            await self.app(scope, receive, send)
            measured = True
        finally:
            self.admission.exit(time.perf_counter() - started if measured else None)
