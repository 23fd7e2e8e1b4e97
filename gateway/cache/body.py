"""Reading a request body ahead of the application, and handing it on unchanged."""

from __future__ import annotations

from starlette.types import Message, Receive

from gateway.middleware.csrf import essence


def is_json(content_type: bytes | None) -> bool:
    """A ``Content-Type`` saying JSON (what CSRF prevention lets through, too)."""
    return content_type == b"application/json" or essence(content_type) == "application/json"


def json_body(headers: list[tuple[bytes, bytes]]) -> bool:
    """The request says its body is JSON."""
    for name, value in headers:
        if name == b"content-type":
            return is_json(value)
    return False


async def read_rest(receive: Receive) -> bytes | None:
    """The rest of a body that came in several messages; None when the client left."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # the client left
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """``receive`` that first hands the application the body already read."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
