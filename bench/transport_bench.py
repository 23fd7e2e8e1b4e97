"""CPU per backend call of the gateway's HTTP client, transports side by side in one run.

Each call goes through the gateway's own backend client (``BackendClient.get``: deadline
header, breaker, retry budget, metrics, JSON decoding) on the httpx client the gateway builds
(``gateway/upstreams.py``), over:

- ``httpx (httpcore)``: real HTTP to a catalog backend process, httpx's own transport
  (``CROSSFADE_BACKEND_TRANSPORT=httpx``);
- ``httpx + aiohttp``: the same over ``gateway/transport.py`` (the default for real URLs);
- ``in-process``: ``httpx.ASGITransport`` into the catalog app in this process (its handling,
  SQLite included, counts here too);
- ``in-process, bare``: ``httpx.ASGITransport`` into an app answering the same bytes at once,
  i.e. the in-process transport's own cost.

CPU is this process's (``time.process_time``, all threads): the backend process's work is not
in it, except in-process. Rounds alternate between transports so that machine noise hits
them alike; the median round is reported. Bounded: ``--calls`` x ``--rounds`` per transport.

    .venv/bin/python bench/transport_bench.py [--calls 2000] [--rounds 5]   # needs `make data`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.config import Settings
from gateway.services import call_policy
from gateway.upstreams import build_http_clients
from resolvers.clients.base import BackendClient

REPO = Path(__file__).resolve().parent.parent
PATH = "/tracks"
PARAMS = {"ids": ",".join(str(i) for i in range(1, 21))}  # 20 tracks, ~8 KB of JSON


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    raise SystemExit("the backend did not start within 30 s")


def bare_app(body: bytes) -> Starlette:
    async def answer(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route(PATH, answer)])


async def per_call_us(client: BackendClient, calls: int) -> float:
    started = time.process_time()
    for _ in range(calls):
        await client.get(PATH, PARAMS)
    return 1e6 * (time.process_time() - started) / calls


async def measure(url: str, calls: int, rounds: int) -> None:
    settings = Settings()
    policy = call_policy(settings, "catalog")
    await wait_healthy(url)
    async with httpx.AsyncClient(base_url=url) as probe:
        body = (await probe.get(PATH, params=PARAMS)).content

    def catalog_client(**overrides: object) -> httpx.AsyncClient:
        return build_http_clients(Settings(**overrides))["catalog"]  # type: ignore[arg-type]

    bare = catalog_client()
    bare._transport = httpx.ASGITransport(app=bare_app(body))  # the same client, no backend
    https = {
        "httpx (httpcore), real HTTP": catalog_client(catalog_url=url, backend_transport="httpx"),
        "httpx + aiohttp, real HTTP": catalog_client(catalog_url=url),
        "in-process (ASGITransport + app)": catalog_client(),
        "in-process, bare (transport only)": bare,
    }
    clients = {name: BackendClient("catalog", http, policy) for name, http in https.items()}
    for client in clients.values():  # connections, imports, SQLite pages
        await per_call_us(client, 50)
    figures: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(rounds):
        for name, client in clients.items():
            figures[name].append(await per_call_us(client, calls))
    for http in https.values():
        await http.aclose()
    print(f"GET {PATH} (20 tracks, {len(body):,} bytes): CPU of this process per call")
    print(f"{'transport':36} {'median µs':>10} {'min µs':>8}   ({rounds} rounds x {calls} calls)")
    for name, values in figures.items():
        print(f"{name:36} {statistics.median(values):10.0f} {min(values):8.0f}")


def main(calls: int, rounds: int) -> None:
    if not Settings().db_path.exists():
        raise SystemExit(f"no store at {Settings().db_path}: run `make data` first")
    port = free_port()
    backend = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "backend", "catalog", "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "CROSSFADE_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        asyncio.run(measure(f"http://127.0.0.1:{port}", calls, rounds))
    finally:
        backend.terminate()
        backend.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    main(args.calls, args.rounds)
