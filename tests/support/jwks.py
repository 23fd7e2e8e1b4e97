"""A real JWKS endpoint, the identity provider's key set, served on loopback.

The key set is mutable (rotate keys, fail on purpose) and every fetch is counted, so tests
can check how often the gateway asks the identity provider."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.thread_server import serve_in_thread

PATH = "/.well-known/jwks.json"


@dataclass
class JwksServer:
    keys: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False
    hits: int = 0
    url: str = ""

    async def endpoint(self, request: Request) -> Response:
        self.hits += 1
        if self.fail:
            return JSONResponse({"error": "down"}, status_code=500)
        return JSONResponse({"keys": self.keys})


@contextmanager
def serve_jwks() -> Iterator[JwksServer]:
    state = JwksServer()
    with serve_in_thread(Starlette(routes=[Route(PATH, state.endpoint)])) as base:
        state.url = base + PATH
        yield state
