"""Real gateway processes count usage: into SQLite, surviving a restart, on their flush
interval, and into one Redis from two replicas whose counts add up; ``crossfade usage`` (a
subprocess) reads the sums."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.usage.sqlite_usage import SqliteUsage
from gateway.usage.usage_store import hour_label, hour_of
from tests.support.process import ServerProcess, gateway_process, start_all, stop_all
from tests.support.repo import operation
from tests.support.usage import ARTIST_PAGE, client_headers, crossfade

SEARCH = operation("Search")


def search(url: str, headers: dict[str, str]) -> None:
    response = httpx.post(
        f"{url}/graphql", json={"query": SEARCH, "variables": {"q": "metal"}}, headers=headers
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text


def start_gateways(count: int, env: dict[str, str]) -> list[ServerProcess]:
    """``count`` gateway processes with these CROSSFADE_* settings, started side by side.
    The response cache is off: it would answer repeated requests without an execution to
    count."""
    settings: dict[str, Any] = {"CROSSFADE_RESPONSE_CACHE": "false", **env}
    processes = [gateway_process(None, **settings) for _ in range(count)]
    start_all(processes)
    return processes


def artist_page(url: str, headers: dict[str, str]) -> None:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": ARTIST_PAGE, "variables": {"id": "QXJ0aXN0OjE="}},
        headers=headers,
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text


def usage_json(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    done = crossfade("usage", "--json", *args, env=env)
    assert done.returncode == 0, done.stderr
    usage: list[dict[str, Any]] = json.loads(done.stdout)["usage"]
    return usage


def now_label() -> str:
    return hour_label(hour_of(time.time())) + " UTC"


@pytest.mark.slow
def test_sqlite_counts_are_flushed_at_shutdown_and_add_up_across_restarts(
    data_dir: Path, tmp_path: Path
) -> None:
    env = {
        "CROSSFADE_DATA_DIR": str(data_dir),
        "CROSSFADE_USAGE_DB": str(tmp_path / "usage.db"),
        "CROSSFADE_USAGE_FLUSH_S": "3600",  # only the shutdown flush writes
        "CROSSFADE_LOG_LEVEL": "WARNING",
    }
    ios = client_headers("ios", "3.2.0")
    # given a gateway that served two searches and was stopped
    procs = start_gateways(1, env)
    url = procs[0].url
    try:
        search(url, ios)
        search(url, ios)
    finally:
        stop_all(procs)
    first = usage_json(env, "--field", "Query.search")
    # when it starts again and serves three more
    procs = start_gateways(1, env)
    url = procs[0].url
    try:
        for _ in range(3):
            search(url, ios)
    finally:
        stop_all(procs)
    # then the usage adds up
    entry = {
        "client": "ios",
        "clientVersion": "3.2.0",
        "lastUsed": now_label(),
        "operations": {"Search": 2},
        "requests": 2,
    }
    assert first == [
        {"coordinate": "Query.search", **entry},
        {"coordinate": "Query.search(query:)", **entry},
    ]
    entry = {**entry, "operations": {"Search": 5}, "requests": 5}
    assert usage_json(env, "--field", "Query.search") == [
        {"coordinate": "Query.search", **entry},
        {"coordinate": "Query.search(query:)", **entry},
    ]


@pytest.mark.slow
def test_a_running_gateway_flushes_on_its_interval(data_dir: Path, tmp_path: Path) -> None:
    usage_db = tmp_path / "usage.db"
    env = {
        "CROSSFADE_DATA_DIR": str(data_dir),
        "CROSSFADE_USAGE_DB": str(usage_db),
        "CROSSFADE_USAGE_FLUSH_S": "0.2",
        "CROSSFADE_LOG_LEVEL": "WARNING",
    }
    procs = start_gateways(1, env)
    url = procs[0].url
    try:
        artist_page(url, client_headers("web", "2026.11"))
        # the counts reach the file while the gateway keeps running
        deadline = time.monotonic() + 30
        totals: set[tuple[str, str, str, str, int]] = set()
        while time.monotonic() < deadline:
            window = SqliteUsage(usage_db, retention_days=90).window(hour_of(0))
            totals = {
                (t.client, t.version, t.operation, t.coordinate, t.count) for t in window.totals
            }
            if totals:
                break
            time.sleep(0.1)
        assert procs[0].running
    finally:
        stop_all(procs)
    assert totals == {
        ("web", "2026.11", "ArtistPage", coordinate, 1)
        for coordinate in (
            "Artist.genres",
            "Artist.name",
            "Query.node",
            "Query.node(id:)",
        )
    }


@pytest.mark.slow
def test_two_replicas_count_into_one_redis_and_the_cli_reads_the_sum(
    data_dir: Path, flush_redis: str, tmp_path: Path
) -> None:
    import redis

    env = {
        "CROSSFADE_DATA_DIR": str(data_dir),
        "CROSSFADE_REDIS_URL": flush_redis,
        "CROSSFADE_USAGE_DB": str(tmp_path / "unused.db"),  # Redis replaces it
        "CROSSFADE_USAGE_FLUSH_S": "3600",
        "CROSSFADE_LOG_LEVEL": "WARNING",
    }
    ios = client_headers("ios", "3.2.0")
    # given two replicas sharing one Redis, each serving part of the traffic
    procs = start_gateways(2, env)
    a, b = (p.url for p in procs)
    try:
        for _ in range(3):
            search(a, ios)
        for _ in range(2):
            search(b, ios)
        artist_page(b, {"x-client-name": "web"})
    finally:
        stop_all(procs)  # each flushes at shutdown
    # then the CLI reads the sum of both
    entry = {
        "client": "ios",
        "clientVersion": "3.2.0",
        "lastUsed": now_label(),
        "operations": {"Search": 5},
        "requests": 5,
    }
    assert usage_json(env, "--field", "Query.search") == [
        {"coordinate": "Query.search", **entry},
        {"coordinate": "Query.search(query:)", **entry},
    ]
    assert usage_json(env, "--client", "web", "--field", "Query") == [
        {
            "coordinate": coordinate,
            "client": "web",
            "clientVersion": None,
            "lastUsed": now_label(),
            "operations": {"ArtistPage": 1},
            "requests": 1,
        }
        for coordinate in ("Query.node", "Query.node(id:)")
    ]
    assert not (tmp_path / "unused.db").exists()
    # and Redis holds one hash for this hour, expiring after the retention window
    with redis.Redis.from_url(flush_redis) as r:
        keys = [k.decode() for k in r.keys("crossfade:usage:*")]
        hour = time.strftime("%Y-%m-%dT%H", time.gmtime())
        assert keys == [f"crossfade:usage:{hour}"]
        assert r.hget(keys[0], "ios|3.2.0|Search|Query.search") == b"5"
        assert r.hget(keys[0], "web||ArtistPage|Artist.genres") == b"1"
        assert 89 * 86_400 < r.ttl(keys[0]) <= 91 * 86_400
