"""Governance fixtures: a real redis-server for the shared-state tests (gateway apps with
chosen settings come from the ``gateway`` fixture of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.support.redis_server import RedisServer, find_redis_server


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
