"""Authenticates the bearer token once per request, before any GraphQL work.

A bad token is HTTP 401 with a GraphQL error body; no token means a guest. When the identity
provider's keys cannot be fetched the token cannot be judged either way: 503, not 401, so
clients retry instead of signing the listener out.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.authenticator import Authenticator, InvalidToken, KeysUnavailable
from gateway.config import Settings


class AuthMiddleware:
    def __init__(
        self, app: ASGIApp, settings: Settings, authenticator: Authenticator | None = None
    ) -> None:
        self.app = app
        self.authenticator = authenticator or Authenticator.from_settings(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [v for k, v in scope["headers"] if k == b"authorization"]
        try:
            if len(headers) > 1:
                # Proxies disagree on which copy wins; refuse rather than guess.
                raise InvalidToken("Send one Authorization header.")
            viewer = await self.authenticator.viewer(
                headers[0].decode("latin-1") if headers else None
            )
        except InvalidToken as exc:
            await _refuse(
                send,
                401,
                str(exc),
                "UNAUTHENTICATED",
                [(b"www-authenticate", b'Bearer error="invalid_token"')],
            )
            return
        except KeysUnavailable as exc:
            await _refuse(send, 503, str(exc), "BACKEND_UNAVAILABLE", [(b"retry-after", b"5")])
            return
        scope.setdefault("state", {})["viewer"] = viewer
        await self.app(scope, receive, send)


async def _refuse(
    send: Send, status: int, message: str, code: str, headers: list[tuple[bytes, bytes]]
) -> None:
    extensions = {"code": code, **({"service": "identity"} if status == 503 else {})}
    body = orjson.dumps({"errors": [{"message": message, "extensions": extensions}]})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
