"""CORS for browser clients: Starlette's middleware with the allow-list from settings.

Credentials (cookies) are not allowed: the API authenticates with bearer tokens, which a
script on an allowed origin sends explicitly. An origin not on the list gets no
``Access-Control-Allow-Origin`` header, so its scripts cannot read any answer.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Message, Receive, Scope, Send

from gateway.config import Settings

ALLOWED_HEADERS = (
    "authorization",
    "content-type",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "apollographql-client-name",
    "apollographql-client-version",
    "x-client-name",
    "x-request-id",
)
EXPOSED_HEADERS = ("x-request-id", "retry-after")
# What an answer to a request without ``Origin`` carries (its CORS headers would differ).
VARY_ORIGIN = (b"vary", b"Origin")


class LeanCORSMiddleware(CORSMiddleware):
    """Starlette's, with a short way for requests without ``Origin`` (not from a browser's
    cross-origin script): they only need ``Vary: Origin``, added without parsing headers."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(k == b"origin" for k, _ in scope["headers"]):
            await super().__call__(scope, receive, send)
            return

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(VARY_ORIGIN)
            await send(message)

        await self.app(scope, receive, send_with_vary)


def cors_middleware(settings: Settings) -> Middleware:
    return Middleware(
        LeanCORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=list(EXPOSED_HEADERS),
        allow_credentials=False,
        max_age=settings.cors_max_age_s,
    )
