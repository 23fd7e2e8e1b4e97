"""Soak: minutes of mixed load on a real gateway over real backend processes with faults.

Starts the four reference backends as processes on loopback (library failing 10% of calls,
playlists 20%, search 200 ms slower), a gateway in front of them, then runs the stakeholders'
operations (and a write) from a few concurrent clients for ``--seconds``. Prints, and writes to
bench/results/soak-<time>.json: requests, error rates by code, latency percentiles, gateway
RSS (from /proc/<pid>/status) over time, and the share of backend calls that were retries.
Stops everything it started.

    .venv/bin/python bench/soak.py --seconds 180
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

# tests.support is not installed: it is imported from the checkout this script is in.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gateway.authenticator import issue_token  # noqa: E402
from gateway.config import Settings  # noqa: E402
from resolvers.global_id import to_global_id  # noqa: E402
from tests.support.process import (  # noqa: E402
    backend_process,
    gateway_process,
    start_all,
    stop_all,
)
from tests.support.repo import operation  # noqa: E402

FAULTS: dict[str, list[str]] = {
    "catalog": [],
    "library": ["--inject-error-rate", "0.1"],
    "playlists": ["--inject-error-rate", "0.2"],
    "search": ["--inject-latency-ms", "200"],
}
WEIGHTS = {"HomeFeed": 3, "Search": 3, "Playlist": 2, "MadeForYou": 1, "Library": 1, "Node": 1}
WORDS = ["love", "night", "metalica", "queen", "dance", "blue", "rock", "fire", "baby", "time"]
RECORD_PLAY = "mutation Play($id: ID!) { recordPlay(input: {trackId: $id}) { playedAt } }"


def rss_kib(pid: int) -> int:
    """Resident set size from /proc (psutil is not a dependency)."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) if match else -1


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    by_operation: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    failed_requests: int = 0
    http_status: Counter[int] = field(default_factory=Counter)


async def worker(
    client: httpx.AsyncClient,
    operations: dict[str, str],
    tokens: list[str],
    stop_at: float,
    tally: Tally,
    rng: random.Random,
) -> None:
    names = [*WEIGHTS, "recordPlay"]
    weights = [*WEIGHTS.values(), 1]
    while time.monotonic() < stop_at:
        name = rng.choices(names, weights)[0]
        if name == "recordPlay":
            query, variables = RECORD_PLAY, {"id": to_global_id("Track", rng.randint(1, 5000))}
        else:
            query, variables = operations[name], _variables(name, rng)
        headers = {"authorization": f"Bearer {rng.choice(tokens)}"}
        started = time.perf_counter()
        try:
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
        except httpx.HTTPError as exc:
            tally.error_codes[f"client:{type(exc).__name__}"] += 1
            tally.failed_requests += 1
            continue
        tally.latencies.append(time.perf_counter() - started)
        tally.by_operation[name] += 1
        tally.http_status[response.status_code] += 1
        errors = response.json().get("errors") or []
        if errors or response.status_code != 200:
            tally.failed_requests += 1
        for error in errors:
            tally.error_codes[str((error.get("extensions") or {}).get("code"))] += 1


def _variables(name: str, rng: random.Random) -> dict[str, Any]:
    if name == "Search":
        return {"q": f"{rng.choice(WORDS)} {rng.choice(WORDS)}"[: rng.choice((4, 40))]}
    if name == "Playlist":
        return {"id": to_global_id("Playlist", rng.randint(1, 3000))}
    if name == "Node":
        return {"id": to_global_id("Track", rng.randint(1, 5800))}
    return {}


def scrape(metrics_text: str, metric: str) -> Counter[str]:
    """Per-backend sums of a counter from the Prometheus text (counts: whole numbers)."""
    sums: Counter[str] = Counter()
    for line in metrics_text.splitlines():
        if line.startswith(metric + "{"):
            backend = re.search(r'backend="([^"]+)"', line)
            if backend:
                sums[backend.group(1)] += int(float(line.rsplit(" ", 1)[1]))
    return sums


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def soak(args: argparse.Namespace, gateway_url: str, gateway_pid: int) -> dict[str, Any]:
    operations = {n: operation(n) for n in WEIGHTS}
    settings = Settings()
    tokens = [issue_token(settings, f"user-{i}") for i in range(1, 201)]
    tally = Tally()
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, limits=limits) as client:
        warm = time.monotonic() + args.warmup
        await asyncio.gather(
            *(worker(client, operations, tokens, warm, Tally(), random.Random(i)) for i in range(2))
        )
        rss = [(0.0, rss_kib(gateway_pid))]
        before = (await client.get("/metrics")).text
        started = time.monotonic()
        stop_at = started + args.seconds
        tasks = [
            asyncio.create_task(
                worker(client, operations, tokens, stop_at, tally, random.Random(100 + i))
            )
            for i in range(args.concurrency)
        ]
        while not all(t.done() for t in tasks):
            await asyncio.sleep(min(args.rss_every, max(0.1, stop_at - time.monotonic())))
            rss.append((round(time.monotonic() - started, 1), rss_kib(gateway_pid)))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
        after = (await client.get("/metrics")).text
    calls = scrape(after, "crossfade_backend_requests_total")
    calls.subtract(scrape(before, "crossfade_backend_requests_total"))
    retries = scrape(after, "crossfade_backend_retries_total")
    retries.subtract(scrape(before, "crossfade_backend_retries_total"))
    total = len(tally.latencies)
    return {
        "seconds": round(elapsed, 1),
        "concurrency": args.concurrency,
        "faults": FAULTS,
        "requests": total,
        "rps": round(total / elapsed, 1),
        "failed_request_share": round(tally.failed_requests / max(total, 1), 4),
        "error_codes": dict(tally.error_codes.most_common()),
        "error_rate_by_code": {
            k: round(v / max(total, 1), 4) for k, v in tally.error_codes.most_common()
        },
        "http_status": dict(tally.http_status),
        "by_operation": dict(tally.by_operation),
        "p50_ms": round(percentile(tally.latencies, 0.50), 1),
        "p99_ms": round(percentile(tally.latencies, 0.99), 1),
        "max_ms": round(max(tally.latencies, default=0) * 1000, 1),
        "gateway_rss_kib": {"start": rss[0][1], "end": rss[-1][1], "samples": rss},
        "backend_calls": {k: int(v) for k, v in calls.items()},
        "backend_retries": {k: int(v) for k, v in retries.items()},
        # Retries over first attempts: the share the retry budget caps at ~10%.
        "retry_share": {
            k: round(retries[k] / max(calls[k] - retries[k], 1), 4) for k in calls if calls[k]
        },
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seconds", type=float, default=180.0)
    p.add_argument("--warmup", type=float, default=10.0)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rss-every", type=float, default=15.0)
    args = p.parse_args()
    if not 1 <= args.seconds <= 1800 or not 1 <= args.concurrency <= 64:
        p.error("--seconds must be 1..1800 and --concurrency 1..64")
    # The default data dir (./data, from `make data model`); the processes' logs in one file.
    log = Path(f"/tmp/crossfade-soak-{os.getpid()}.log")
    backends = {name: backend_process(name, None, *f, log=log) for name, f in FAULTS.items()}
    urls = {f"CROSSFADE_{name.upper()}_URL": p.url for name, p in backends.items()}
    gateway = gateway_process(None, log=log, CROSSFADE_LOG_LEVEL="ERROR", **urls)
    start_all(backends.values())
    try:
        with gateway:
            report = asyncio.run(soak(args, gateway.url, gateway.pid))
    finally:
        stop_all(backends.values())
    results = REPO / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"soak-{stamp}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "faults"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
