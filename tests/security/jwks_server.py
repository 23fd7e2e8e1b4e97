"""A real JWKS endpoint for tests: a Starlette app served by uvicorn on a loopback port.

The key set is mutable (rotate keys, fail on purpose) and every fetch is counted, so tests
can check how often the gateway asks the identity provider.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


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
    app = Starlette(routes=[Route("/.well-known/jwks.json", state.endpoint)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):  # bounded: up to ~5 s for the server to start
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "JWKS server did not start"
    state.url = f"http://127.0.0.1:{port}/.well-known/jwks.json"
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
