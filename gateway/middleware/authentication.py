"""Authenticates the bearer token once per request, before any GraphQL work.

A bad token is HTTP 401 with a GraphQL error body; no token means a guest. When the identity
provider's keys cannot be fetched the token cannot be judged either way: 503, not 401, so
clients retry instead of signing the listener out.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.authenticator import Authenticator, InvalidToken, KeysUnavailable
from gateway.config import Settings
from gateway.refusal import refusal
from gateway.request_state import request_state
from resolvers.clients.errors import ErrorCode


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
            response = refusal(
                ErrorCode.UNAUTHENTICATED,
                str(exc),
                headers={"www-authenticate": 'Bearer error="invalid_token"'},
            )
            await response(scope, receive, send)
            return
        except KeysUnavailable as exc:
            response = refusal(
                ErrorCode.BACKEND_UNAVAILABLE,
                str(exc),
                headers={"retry-after": "5"},
                service="identity",
            )
            await response(scope, receive, send)
            return
        request_state(scope).viewer = viewer
        await self.app(scope, receive, send)
