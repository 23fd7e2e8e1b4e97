"""The throughput ceiling: plain Starlette + uvicorn answering with canned response bytes.

For each operation bench/load.py captures the gateway's real response, then measures this
app returning the very same bytes under the same load. The ratio gateway/ceiling says how
much of the budget GraphQL execution, resolvers and backend calls take on top of the HTTP
stack both share.

    CEILING_BODIES=dir uvicorn bench.ceiling:app --port 8766

serves POST /{name} with the bytes of dir/{name}/*.json in turn: a run with a different
listener per request gets the responses captured for several listeners, one after the other.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


def load_bodies(directory: Path) -> dict[str, Iterator[bytes]]:
    return {
        folder.name: itertools.cycle([path.read_bytes() for path in sorted(folder.glob("*.json"))])
        for folder in directory.iterdir()
        if folder.is_dir() and any(folder.glob("*.json"))
    }


BODIES = load_bodies(Path(os.environ.get("CEILING_BODIES", ".")))


async def canned(request: Request) -> Response:
    # Read the request body as the gateway must, so both sides do the same HTTP work.
    await request.body()
    bodies = BODIES.get(request.path_params["name"])
    if bodies is None:
        return PlainTextResponse("unknown operation", status_code=404)
    return Response(next(bodies), media_type="application/json")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/healthz", healthz), Route("/{name}", canned, methods=["POST"])])
