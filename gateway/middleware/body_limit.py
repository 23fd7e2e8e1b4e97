"""Refuses request bodies above a size limit with 413, without ever buffering them.

A declared ``Content-Length`` above the limit is refused before the application sees the
request. A body without one (chunked) is counted as it streams through ``receive``: the
chunk that crosses the limit aborts the application, so memory stays bounded by the limit
whatever the client sends.

Clients such as httpx write the whole body before reading the answer, and a server that
closes a connection with unread data makes the kernel send a reset that destroys the 413
on its way. So before answering, up to ``drain_bytes`` more of the body are read and
dropped (never kept); an upload bigger than that is cut off by the reset. A client that
sent ``Expect: 100-continue`` is answered at once: it has not sent the body yet and will not.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.refusal import refusal
from resolvers.clients.errors import ErrorCode


class BodyTooLarge(Exception):
    """Raised from ``receive`` to unwind the application once the limit is crossed."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, drain_bytes: int = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.drain_bytes = drain_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            if headers.get(b"expect", b"").lower() != b"100-continue":
                await self._drain(receive)
            await self._refuse(scope, receive, send)
            return
        if declared.isdigit() and b"transfer-encoding" not in headers:
            # The server delivers no more than a declared length: nothing left to count.
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    if message.get("more_body", False):
                        await self._drain(receive)
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # An app that answered before reading its whole body cannot get a 413 any more.
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _drain(self, receive: Receive) -> None:
        """Read and drop the rest of the body, up to ``drain_bytes``."""
        dropped = 0
        while dropped <= self.drain_bytes:
            message = await receive()
            if message["type"] != "http.request":
                return
            dropped += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = refusal(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"The request body exceeds the {self.max_bytes}-byte limit.",
            # What is left of the body is not read: the connection cannot carry another request.
            headers={"connection": "close"},
        )
        await response(scope, receive, send)
