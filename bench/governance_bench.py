"""What the governance checks cost a request: p50 latency of a small query and of HomeFeed with
the checks off, on (in process) and on (over Redis), side by side in one run.

- off: a plain POST with the query; no cost analysis, no rate limit (APQ unused);
- on: the Apollo APQ request (hash only, query registered once), static cost analysis with
  the cost charged to the rate limits, request-count rate limits (limits high enough never
  to refuse), in-process store and buckets;
- redis: the same with the APQ store and the buckets in a throwaway local redis-server
  (skipped when redis-server is not installed: `bash scripts/redis.sh`).

The gateway runs in process behind httpx.ASGITransport with in-process backends, so the numbers
are the gateway's own work; requests alternate between the configurations so that machine
noise hits all of them alike. Bounded: --rounds requests per query per configuration.

    .venv/bin/python bench/governance_bench.py [--rounds 300]   # needs `make data model`
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

# tests.support is not installed: it is imported from the checkout this script is in.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.config import Settings
from tests.support.app import gateway_client
from tests.support.graphql import document_hash, payload, persisted_query
from tests.support.redis_server import RedisServer, find_redis_server
from tests.support.repo import operation
from tests.support.tokens import bearer

SMALL = '{ search(query: "metal") { artists(first: 3) { edges { node { id name } } } } }'
HOME_FEED = operation("HomeFeed")
NEVER_REFUSE: dict[str, Any] = {
    "rate_limit_listener_burst": 10**9,
    "rate_limit_client_burst": 10**9,
    "rate_limit_listener_cost_burst": 10**12,
    "rate_limit_client_cost_burst": 10**12,
}


@contextmanager
def redis_server() -> Iterator[str | None]:
    """A throwaway redis-server's URL, or None when it is not installed."""
    binary = find_redis_server()
    if binary is None:
        yield None
        return
    with tempfile.TemporaryDirectory() as workdir, RedisServer(binary, Path(workdir)) as server:
        yield server.redis_url


def body(query: str, *, persisted: bool) -> dict[str, Any]:
    """The query itself, or (APQ) only its hash once it is registered."""
    if not persisted:
        return payload(query)
    return payload(None, extensions=persisted_query(document_hash(query)))


async def run(rounds: int, redis_url: str | None) -> None:
    base = Settings()
    configs: dict[str, Settings] = {
        "off": base.model_copy(update={"query_cost": False, "rate_limit": False}),
        "on": Settings(**{**base.model_dump(), **NEVER_REFUSE}),
    }
    if redis_url:
        configs["redis"] = Settings(**{**base.model_dump(), **NEVER_REFUSE, "redis_url": redis_url})
    clients: dict[str, httpx.AsyncClient] = {}
    async with AsyncExitStack() as opened:
        for name, settings in configs.items():
            clients[name] = await opened.enter_async_context(gateway_client(settings))
            clients[name].headers.update(bearer("user-1"))
        for name, client in clients.items():
            # Register the documents (APQ's first round trip) and warm caches.
            for query in (SMALL, HOME_FEED):
                r = await client.post(
                    "/graphql",
                    json=payload(query, extensions=persisted_query(document_hash(query))),
                )
                assert r.status_code == 200 and "errors" not in r.json(), (name, r.text)
                for _ in range(20):
                    await client.post("/graphql", json=body(query, persisted=name != "off"))
        print(f"p50 / p90 in ms over {rounds} requests each (in process, no network)")
        print(f"{'query':<10}" + "".join(f"{n:>18}" for n in clients) + "   overhead p50")
        for label, query in (("small", SMALL), ("HomeFeed", HOME_FEED)):
            samples: dict[str, list[float]] = {n: [] for n in clients}
            for _ in range(rounds):
                for name, client in clients.items():
                    request = body(query, persisted=name != "off")
                    started = time.perf_counter()
                    r = await client.post("/graphql", json=request)
                    samples[name].append((time.perf_counter() - started) * 1000)
                    assert r.status_code == 200, r.text
            p50 = {n: statistics.median(s) for n, s in samples.items()}
            p90 = {n: statistics.quantiles(s, n=10)[8] for n, s in samples.items()}
            cells = "".join(f"{p50[n]:>10.2f} / {p90[n]:<5.2f}" for n in clients)
            extra = ", ".join(f"{n} {p50[n] - p50['off']:+.2f}" for n in clients if n != "off")
            print(f"{label:<10}{cells}   {extra}")


def cost_analysis_time() -> None:
    from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

    from gateway.governance.query_cost import operation_cost
    from gateway.graphql_schema import build_schema

    schema = build_schema()._schema
    document = parse(HOME_FEED)
    op = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    frags = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    n = 2000
    started = time.perf_counter()
    for _ in range(n):
        operation_cost(schema, op, frags, {}, max_page_size=100)
    per = (time.perf_counter() - started) / n * 1e6
    print(f"cost analysis of HomeFeed alone: {per:.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args()
    cost_analysis_time()
    if args.no_redis:
        asyncio.run(run(args.rounds, None))
        return
    with redis_server() as url:
        if url is None:
            print("redis-server not installed: `bash scripts/redis.sh` to include it")
        asyncio.run(run(args.rounds, url))


if __name__ == "__main__":
    main()
