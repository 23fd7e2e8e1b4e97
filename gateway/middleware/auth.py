"""Authenticates the bearer token once per request, before any GraphQL work.

A bad token is HTTP 401 with a GraphQL error body; no token means a guest.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth import InvalidToken, viewer_from_authorization
from gateway.config import Settings


class AuthMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization")
        try:
            viewer = viewer_from_authorization(
                self.settings, header.decode("latin-1") if header else None
            )
        except InvalidToken as exc:
            body = orjson.dumps(
                {"errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]}
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"www-authenticate", b'Bearer error="invalid_token"'),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        scope.setdefault("state", {})["viewer"] = viewer
        await self.app(scope, receive, send)
