"""Refuses requests a browser would send cross-site without a CORS preflight.

A page on any origin can make a browser POST a form (``application/x-www-form-urlencoded``,
``multipart/form-data``) or ``text/plain`` body without asking the server first; the browser
only hides the response, the request still runs. So a request with a body runs only when it
is something the browser would have preflighted, as Apollo Server's CSRF prevention does: a
content type other than those three, or a header no simple request can carry
(``apollo-require-preflight``, ``x-apollo-operation-name``). Mutations over GET are refused
by the GraphQL view itself; GET queries have no side effects.

Bearer tokens are not ambient credentials (a browser never attaches them by itself), so
today this is defence in depth: it keeps holding if a cookie or a proxy's basic auth ever
authenticates requests.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.refusal import refusal
from resolvers.clients.errors import ErrorCode

# The CORS-safelisted request content types (Fetch standard), by essence.
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
PREFLIGHT_HEADERS = frozenset({b"apollo-require-preflight", b"x-apollo-operation-name"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def essence(content_type: bytes | None) -> str | None:
    """``text/plain; charset=utf-8`` → ``text/plain``; None when there is no header."""
    if content_type is None:
        return None
    return content_type.decode("latin-1").split(";", 1)[0].strip().lower()


def needs_no_preflight(headers: list[tuple[bytes, bytes]]) -> bool:
    """True when a browser could have sent a request with these headers cross-site."""
    content_type = None
    for name, value in headers:
        if name in PREFLIGHT_HEADERS:
            return False
        if name == b"content-type":
            content_type = value
    kind = essence(content_type)
    return kind is None or kind in SIMPLE_CONTENT_TYPES


class CsrfMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and needs_no_preflight(scope["headers"])
        ):
            response = refusal(
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                "Send the operation as JSON ('Content-Type: application/json'). Requests a "
                "browser can send cross-site without a preflight are refused (CSRF).",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
