"""Usage fixtures: a gateway app counting into a private usage database, the CLI as a
subprocess, and the session's real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Settings
from tests.support.app import GatewayClient, gateway_client
from tests.support.repo import operation
from tests.support.usage import ARTIST_PAGE, client_headers

UsageApp = Callable[..., AbstractAsyncContextManager[GatewayClient]]


@pytest.fixture
def usage_db(tmp_path: Path) -> Path:
    return tmp_path / "usage.db"


@pytest.fixture
def usage_app(settings_env: Path, usage_db: Path) -> UsageApp:
    """``async with usage_app(**settings) as c``: a gateway app counting into ``usage_db``;
    ``c.app.state.usage.flush()`` writes what it counted. The response cache is off unless
    asked for: executions are what is counted, and it would answer repeats without one."""

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[GatewayClient]:
        defaults = {"data_dir": settings_env, "usage_db": usage_db, "response_cache": False}
        settings = Settings(**{**defaults, **overrides})
        async with gateway_client(settings) as client:
            yield client

    return make


@pytest.fixture
async def recorded(usage_app: UsageApp, usage_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four ArtistPage views from ios 3.2.0 and one Search from web, flushed to usage_db,
    which the CLI reads (CROSSFADE_USAGE_DB)."""
    async with usage_app() as client:
        for _ in range(4):
            response = await client.post(
                "/graphql",
                json={"query": ARTIST_PAGE, "variables": {"id": "QXJ0aXN0OjE="}},
                headers=client_headers("ios", "3.2.0"),
            )
            assert "errors" not in response.json()
        response = await client.post(
            "/graphql",
            json={"query": operation("Search"), "variables": {"q": "metal"}},
            headers=client_headers("web"),
        )
        assert "errors" not in response.json()
        await client.app.state.usage.flush()
    monkeypatch.setenv("CROSSFADE_USAGE_DB", str(usage_db))
    return usage_db
