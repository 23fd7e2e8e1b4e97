"""Usage fixtures: a gateway app counting into a private usage database, the CLI as a
subprocess, and the session's real redis-server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO, operation
from tests.governance.conftest import flush_redis, redis_url  # noqa: F401 - fixtures

UsageApp = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
SDL = REPO / "schema" / "schema.graphql"
ARTIST_PAGE = "query ArtistPage($id: ID!) { node(id: $id) { ... on Artist { name genres } } }"


def client_headers(name: str | None, version: str | None = None) -> dict[str, str]:
    headers = {}
    if name is not None:
        headers["apollographql-client-name"] = name
    if version is not None:
        headers["apollographql-client-version"] = version
    return headers


@pytest.fixture
def usage_db(tmp_path: Path) -> Path:
    return tmp_path / "usage.db"


@pytest.fixture
def usage_app(settings_env: Path, usage_db: Path) -> UsageApp:
    """``async with usage_app(**settings) as c``: a gateway app counting into ``usage_db``;
    ``c.app.state.usage.flush()`` writes what it counted."""

    @asynccontextmanager
    async def make(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        from gateway.app import create_app
        from gateway.config import Settings

        settings = Settings(**{"data_dir": settings_env, "usage_db": usage_db, **overrides})
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
            c.app = app  # type: ignore[attr-defined]
            try:
                yield c
            finally:
                await app.state.governance.aclose()

    return make


def crossfade(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a subprocess, with ``env`` over a clean CROSSFADE_* slate."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CROSSFADE_")}
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        env={**base, "CROSSFADE_LOG_LEVEL": "WARNING", **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def sdl_with(replacements: dict[str, str]) -> str:
    """The committed SDL with each ``old`` text replaced by ``new`` (each must occur once)."""
    text = SDL.read_text()
    for old, new in replacements.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


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
        await client.app.state.usage.flush()  # type: ignore[attr-defined]
    monkeypatch.setenv("CROSSFADE_USAGE_DB", str(usage_db))
    return usage_db
