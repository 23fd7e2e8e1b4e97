"""What batching saves: the six stakeholder queries of one app start as six requests one after
the other, as six concurrent requests, and as one batch, side by side in one run.

Per round it prints the gateway's CPU time (``time.process_time``: the gateway, its in-process
backends and the client all run in this process, so it is the whole stack's work) and wall
time, and the backend calls (the gateway's own Prometheus counter), with warm caches (what a
busy gateway sees) and with the caches cleared before every round (where only the request's
DataLoaders can share loads: a batch shares them across its operations). The ways alternate
round by round so that machine noise hits all of them alike.

    .venv/bin/python bench/batch_bench.py [--rounds 100]   # needs `make data model`
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import REGISTRY

from gateway.app import create_app
from gateway.authenticator import issue_token
from gateway.config import Settings
from resolvers.global_id import to_global_id

REPO = Path(__file__).resolve().parent.parent
OPERATIONS = REPO / "schema" / "operations"
NAMES = ("HomeFeed", "Library", "MadeForYou", "Node", "Playlist", "Search")
NEVER_REFUSE: dict[str, Any] = {
    "rate_limit_listener_burst": 10**9,
    "rate_limit_client_burst": 10**9,
    "rate_limit_listener_cost_burst": 10**12,
    "rate_limit_client_cost_burst": 10**12,
}

Round = Callable[[httpx.AsyncClient, list[dict[str, Any]], dict[str, str]], Awaitable[None]]


def backend_calls() -> int:
    total = 0
    for metric in REGISTRY.collect():
        if metric.name == "crossfade_backend_requests":
            for sample in metric.samples:
                if sample.name == "crossfade_backend_requests_total":
                    total += int(sample.value)
    return total


def operations(settings: Settings) -> list[dict[str, Any]]:
    with sqlite3.connect(settings.db_path) as conn:
        (playlist,) = conn.execute(
            "SELECT id FROM playlists WHERE kind = 'editorial' ORDER BY id LIMIT 1"
        ).fetchone()
    variables: dict[str, dict[str, Any]] = {
        "Node": {"id": to_global_id("Track", 1)},
        "Playlist": {"id": to_global_id("Playlist", playlist)},
        "Search": {"q": "metalica"},
    }
    return [
        {"query": (OPERATIONS / f"{n}.graphql").read_text(), "variables": variables.get(n, {})}
        for n in NAMES
    ]


def check(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    answers = response.json()
    for answer in answers if isinstance(answers, list) else [answers]:
        assert "errors" not in answer, answer["errors"]


async def sequential(
    client: httpx.AsyncClient, ops: list[dict[str, Any]], headers: dict[str, str]
) -> None:
    for op in ops:
        check(await client.post("/graphql", json=op, headers=headers))


async def concurrent(
    client: httpx.AsyncClient, ops: list[dict[str, Any]], headers: dict[str, str]
) -> None:
    for response in await asyncio.gather(
        *(client.post("/graphql", json=op, headers=headers) for op in ops)
    ):
        check(response)


async def batched(
    client: httpx.AsyncClient, ops: list[dict[str, Any]], headers: dict[str, str]
) -> None:
    check(await client.post("/graphql", json=ops, headers=headers))


WAYS: dict[str, Round] = {
    "6 requests, one by one": sequential,
    "6 requests at once": concurrent,
    "1 batch of 6": batched,
}


async def main(rounds: int) -> None:
    settings = Settings(**NEVER_REFUSE)
    app = create_app(settings)
    ops = operations(settings)
    headers = {"authorization": f"Bearer {issue_token(settings, 'user-1')}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        clients = app.state.services.clients
        for cold in (False, True):
            cpu: dict[str, list[float]] = {name: [] for name in WAYS}
            wall: dict[str, list[float]] = {name: [] for name in WAYS}
            calls: dict[str, list[int]] = {name: [] for name in WAYS}
            for way in WAYS.values():  # warm-up: imports, parser and validation caches
                await way(client, ops, headers)
            for _ in range(rounds):
                for name, way in WAYS.items():
                    if cold:
                        clients.clear_caches()
                    before = backend_calls()
                    cpu0, wall0 = time.process_time(), time.perf_counter()
                    await way(client, ops, headers)
                    cpu[name].append((time.process_time() - cpu0) * 1000)
                    wall[name].append((time.perf_counter() - wall0) * 1000)
                    calls[name].append(backend_calls() - before)
            print(f"\n{'cold' if cold else 'warm'} caches, {rounds} rounds of {NAMES}")
            print(f"{'':26} {'CPU ms/round':>13} {'wall ms p50':>12} {'backend calls':>14}")
            for name in WAYS:
                print(
                    f"{name:26} {statistics.median(cpu[name]):13.1f} "
                    f"{statistics.median(wall[name]):12.1f} {statistics.median(calls[name]):14.0f}"
                )
    await app.state.governance.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=100)
    asyncio.run(main(parser.parse_args().rounds))
