"""How fast the gateway answers when a backend is dead or slow (figures for the resilience note).

Runs the Search operation through an in-process gateway whose search backend is a real
process on loopback: healthy, then SIGKILLed (breaker closed: refused connections and
retries; then open: no network), then replaced by one injecting 5 s of latency (with the
default 2 s timeout and with a 0.5 s one). Prints median and max wall times per case.

    .venv/bin/python bench/faults_bench.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx

# tests.support is not installed: it is imported from the checkout this script is in.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.authenticator import issue_token
from gateway.config import Settings
from tests.support.app import GatewayClient, gateway_client
from tests.support.graphql import payload, post
from tests.support.process import ServerProcess, backend_process
from tests.support.repo import operation
from tests.support.tokens import authorization

SEARCH = operation("Search")


async def timed(client: httpx.AsyncClient, runs: int, token: str) -> dict[str, Any]:
    times: list[float] = []
    codes: set[str] = set()
    for i in range(runs):
        started = time.perf_counter()
        response = await post(
            client,
            payload(SEARCH, {"q": f"love {time.time_ns()} {i}"}),
            headers=authorization(token),
        )
        times.append((time.perf_counter() - started) * 1000)
        codes |= {e["extensions"]["code"] for e in response.json().get("errors", [])}
    return {
        "runs": runs,
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "codes": sorted(codes),
    }


def gateway(search: ServerProcess, **overrides: Any) -> AbstractAsyncContextManager[GatewayClient]:
    return gateway_client(Settings(search_url=search.url, **overrides))


async def main() -> None:
    settings = Settings()
    token = issue_token(settings, "user-1")
    data_dir = settings.data_dir.resolve()
    report: dict[str, Any] = {}
    with backend_process("search", data_dir) as search:
        async with gateway(search) as client:
            await timed(client, 3, token)  # warm: model, pools, caches of hydration
            report["healthy"] = await timed(client, 10, token)
            search.kill()
            report["dead_breaker_closed"] = await timed(client, 1, token)
            report["dead_breaker_open"] = await timed(client, 20, token)
    with backend_process("search", data_dir, "--inject-latency-ms", "5000") as slow:
        async with gateway(slow) as client:
            await timed(client, 1, token)
            report["slow_5s_default_timeout_2s"] = await timed(client, 3, token)
        async with gateway(slow, backend_timeouts={"search": 0.5}) as client:
            report["slow_5s_search_timeout_0.5s"] = await timed(client, 3, token)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
