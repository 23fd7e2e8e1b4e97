"""Response-cache fixtures: a private copy of the store (these tests write to it), in-process
gateways with the cache on and off over it, and helpers for real gateway processes."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from tests.conftest import bearer, operation
from tests.governance.conftest import redis_url, start_gateways, stop  # noqa: F401 (fixture)
from tests.store_copy import copy_store

Gateway = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="module")
def store(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's own copy of the session store: its writes stay here."""
    return copy_store(data_dir, tmp_path_factory.mktemp("cache-store"))


@dataclass(frozen=True)
class Listener:
    handle: str
    user_id: int
    public_playlist: int  # store IDs of playlists they own
    private_playlist: int


def listeners(store: Path, count: int) -> list[Listener]:
    """Listeners owning both a public and a private playlist with tracks in them."""
    with sqlite3.connect(store / "crossfade.db") as conn:
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
    with sqlite3.connect(store / "crossfade.db") as conn:
        rows = conn.execute(
            "SELECT id FROM tracks ORDER BY id LIMIT ? OFFSET ?", (count, offset)
        ).fetchall()
    return [r[0] for r in rows]


@pytest.fixture
def gateway(store: Path, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    """``async with gateway(**settings) as c``: an in-process gateway over the private store."""
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(store))
    for name in ("CATALOG", "LIBRARY", "PLAYLISTS", "SEARCH"):
        monkeypatch.delenv(f"CROSSFADE_{name}_URL", raising=False)

    @asynccontextmanager
    async def make(
        client_ip: str = "127.0.0.1", **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        from gateway.app import create_app
        from gateway.config import Settings

        app = create_app(Settings(data_dir=store, **overrides))
        transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
            c.app = app  # type: ignore[attr-defined]
            try:
                yield c
            finally:
                await app.state.governance.aclose()

    return make


def body(
    name: str, variables: dict[str, Any] | None = None, operation_name: str | None = None
) -> dict[str, Any]:
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


def backend_calls(url: str) -> float:
    """How many backend requests a gateway process has made (from its /metrics)."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("crossfade_backend_requests_total{")
    )


# --- real gateway processes -------------------------------------------------------------


@dataclass(frozen=True)
class Replicas:
    a: str
    b: str
    fresh: str  # the cache off: what a fresh execution answers at that moment
    store: Path


def replica_env(store: Path) -> dict[str, str]:
    return {
        "CROSSFADE_DATA_DIR": str(store),
        "CROSSFADE_RATE_LIMIT": "false",
        "CROSSFADE_LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session")
def replicas(
    data_dir: Path,
    redis_url: str,  # noqa: F811 (the governance fixture)
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Replicas]:
    """Two gateway processes sharing a real Redis, and a third with the cache off, all over
    one private copy of the store (in-process backends on the same SQLite file)."""
    import redis

    store = copy_store(data_dir, tmp_path_factory.mktemp("replica-store"))
    with redis.Redis.from_url(redis_url) as r:
        r.flushdb()
    env = replica_env(store)
    procs, (a, b) = start_gateways(2, {**env, "CROSSFADE_REDIS_URL": redis_url})
    try:
        fresh_procs, (fresh,) = start_gateways(1, {**env, "CROSSFADE_RESPONSE_CACHE": "false"})
    except BaseException:
        stop(procs)
        raise
    try:
        for url in (a, b):
            wait_subscribed(url)
        yield Replicas(a, b, fresh, store)
    finally:
        stop(procs + fresh_procs)


def gauge(url: str, name: str) -> float | None:
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_subscribed(url: str, subscribed: bool = True, timeout_s: float = 30.0) -> None:
    """Until the replica's invalidation subscription is (or is no longer) live."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if gauge(url, "crossfade_response_cache_subscribed") == (1.0 if subscribed else 0.0):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{url} subscribed={subscribed} not reached")


def cache_hits(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("crossfade_response_cache_hits_total{")
    )
