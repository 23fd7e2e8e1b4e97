"""Response-cache fixtures: a private copy of the store (these tests write to it) under the
root ``gateway`` and ``client`` fixtures, helpers to ask for stakeholder operations, and real
gateway processes (replicas sharing a real Redis, and one with the cache off)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client import REGISTRY

from backends.names import BACKENDS
from tests.support.process import ServerProcess, gateway_process, start_all, stop_all
from tests.support.repo import operation
from tests.support.store import STORE, copy_store
from tests.support.tokens import bearer


@pytest.fixture(scope="module")
def store(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's own copy of the session store: its writes stay here."""
    return copy_store(data_dir, tmp_path_factory.mktemp("cache-store"))


@pytest.fixture
def settings_env(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The root fixture's, over the private copy: ``gateway`` and ``client`` build on it."""
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(store))
    for name in BACKENDS:
        monkeypatch.delenv(f"CROSSFADE_{name.upper()}_URL", raising=False)
    return store


@dataclass(frozen=True)
class Listener:
    handle: str
    user_id: int
    public_playlist: int  # store IDs of playlists they own
    private_playlist: int


def listeners(store: Path, count: int) -> list[Listener]:
    """Listeners owning both a public and a private playlist with tracks in them."""
    with sqlite3.connect(store / STORE) as conn:
        rows = conn.execute(
            "SELECT owner_id, MIN(CASE WHEN public = 1 THEN id END),"
            " MIN(CASE WHEN public = 0 THEN id END) FROM playlists"
            " WHERE kind = 'user' AND track_count > 0 GROUP BY owner_id"
            " HAVING COUNT(DISTINCT public) = 2 ORDER BY owner_id LIMIT ?",
            (count,),
        ).fetchall()
    assert len(rows) == count, "the simulated store has too few such listeners"
    return [Listener(f"user-{owner}", owner, pub, priv) for owner, pub, priv in rows]


def track_ids(store: Path, count: int, offset: int = 0) -> list[int]:
    with sqlite3.connect(store / STORE) as conn:
        rows = conn.execute(
            "SELECT id FROM tracks ORDER BY id LIMIT ? OFFSET ?", (count, offset)
        ).fetchall()
    return [r[0] for r in rows]


def next_playlist_key(store: Path) -> int:
    """The store ID the next playlist created gets (an INTEGER PRIMARY KEY: the largest + 1)."""
    with sqlite3.connect(store / STORE) as conn:
        (largest,) = conn.execute("SELECT MAX(id) FROM playlists").fetchone()
    return int(largest) + 1


def body(
    name: str, variables: dict[str, Any] | None = None, operation_name: str | None = None
) -> dict[str, Any]:
    """The stakeholder operation ``name`` as a request body (unlike tests.support.graphql's
    ``payload``, ``variables`` is always sent: requests must be byte-identical to repeat)."""
    request: dict[str, Any] = {"query": operation(name), "variables": variables or {}}
    if operation_name is not None:
        request["operationName"] = operation_name
    return request


def headers(who: str | None) -> dict[str, str]:
    return bearer(who) if who else {}


async def ask(
    client: httpx.AsyncClient,
    name: str,
    variables: dict[str, Any] | None = None,
    *,
    who: str | None,
    operation_name: str | None = None,
) -> httpx.Response:
    response = await client.post(
        "/graphql", json=body(name, variables, operation_name), headers=headers(who)
    )
    assert response.status_code == 200, response.text
    return response


def counted(metric: str, operation_name: str) -> float:
    """The process's value of ``crossfade_response_cache_<metric>_total{operation}``."""
    value = REGISTRY.get_sample_value(
        f"crossfade_response_cache_{metric}_total", {"operation": operation_name}
    )
    return value or 0.0


def served(url: str, name: str, variables: dict[str, Any] | None = None, *,
           who: str | None, operation_name: str | None = None) -> httpx.Response:  # fmt: skip
    """The same request as :func:`ask`, to a gateway process."""
    response = httpx.post(
        f"{url}/graphql",
        json=body(name, variables, operation_name),
        headers=headers(who),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response


def metric_total(url: str, prefix: str) -> float:
    """The sum of a gateway process's samples whose line starts with ``prefix``."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)
    )


def backend_calls(url: str) -> float:
    """How many backend requests a gateway process has made."""
    return metric_total(url, "crossfade_backend_requests_total{")


def cache_hits(url: str) -> float:
    return metric_total(url, "crossfade_response_cache_hits_total{")


# --- real gateway processes -------------------------------------------------------------


@dataclass(frozen=True)
class Replicas:
    a: str
    b: str
    fresh: str  # the cache off: what a fresh execution answers at that moment
    store: Path


def replica_env(**extra: str) -> dict[str, Any]:
    # Any: mypy would match a str-valued dict against gateway_process's `data_dir` too.
    return {"CROSSFADE_RATE_LIMIT": "false", "CROSSFADE_LOG_LEVEL": "WARNING", **extra}


def start_replicas(store: Path, redis_url: str, **extra: str) -> list[ServerProcess]:
    """Replicas A and B sharing ``redis_url``, and a gateway with the cache off, all over
    ``store`` (in-process backends on the same SQLite file), subscribed once started."""
    shared = replica_env(CROSSFADE_REDIS_URL=redis_url, **extra)
    processes = [gateway_process(store, **shared) for _ in range(2)]
    processes.append(gateway_process(store, **replica_env(CROSSFADE_RESPONSE_CACHE="false")))
    start_all(processes)
    try:
        for process in processes[:2]:
            wait_subscribed(process.url)
    except BaseException:
        stop_all(processes)
        raise
    return processes


@pytest.fixture(scope="session")
def replicas(
    data_dir: Path, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Replicas]:
    """Two gateway processes sharing a real Redis, and a third with the cache off, all over
    one private copy of the store."""
    store = copy_store(data_dir, tmp_path_factory.mktemp("replica-store"))
    with redis.Redis.from_url(redis_url) as r:
        r.flushdb()
    a, b, fresh = start_replicas(store, redis_url)
    try:
        yield Replicas(a.url, b.url, fresh.url, store)
    finally:
        stop_all([a, b, fresh])


def gauge(url: str, name: str) -> float | None:
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_subscribed(url: str, subscribed: bool = True, timeout_s: float = 30.0) -> None:
    """Until the replica's invalidation subscription is (or is no longer) live."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if gauge(url, "crossfade_response_cache_subscribed") == (1.0 if subscribed else 0.0):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{url} subscribed={subscribed} not reached")
