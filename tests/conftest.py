"""Shared fixtures: one real data build (full catalog, fewer simulated listeners) and model
per test session, and a gateway app over it with in-process backends."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from backends.settings import BackendSettings

REPO = Path(__file__).resolve().parent.parent
OPERATIONS = REPO / "schema" / "operations"
TEST_LISTENERS = 400


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real store (the whole catalog, 400 simulated listeners) and a trained model."""
    from backends.ingest.build import build_data
    from gateway.config import Settings
    from ranking.train import train

    root = tmp_path_factory.mktemp("data")
    # Reuse the downloaded source wheel across runs: the ingest verifies its checksum.
    for cached in (REPO / "data" / "downloads",):
        if cached.is_dir():
            shutil.copytree(cached, root / "downloads", dirs_exist_ok=True)
    settings = BackendSettings(data_dir=root, listeners=TEST_LISTENERS)
    build_data(settings, progress=False)
    max_ease = Settings(data_dir=root).max_ease_items
    train(settings.db_path, root / "models", max_ease_items=max_ease, progress=False)
    yield root


@pytest.fixture
def settings_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(data_dir))
    for name in ("CATALOG", "LIBRARY", "PLAYLISTS", "SEARCH"):
        monkeypatch.delenv(f"CROSSFADE_{name}_URL", raising=False)
    return data_dir


@pytest.fixture
def gateway_settings(settings_env: Path):  # type: ignore[no-untyped-def]
    from gateway.config import Settings

    return Settings(data_dir=settings_env)


@pytest.fixture
async def client(gateway_settings) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    from gateway.app import create_app

    app = create_app(gateway_settings)
    app.state.services.clients.clear_caches()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
    ) as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


def bearer(handle: str) -> dict[str, str]:
    from gateway.authenticator import issue_token
    from gateway.config import Settings

    return {"authorization": f"Bearer {issue_token(Settings(), handle)}"}


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


def has_operations() -> bool:
    return OPERATIONS.is_dir() and os.access(OPERATIONS, os.R_OK)


@pytest.fixture(scope="session")
def listener(data_dir: Path) -> str:
    """A simulated listener with playlists, likes and a real history."""
    import sqlite3

    with sqlite3.connect(data_dir / "crossfade.db") as conn:
        row = conn.execute(
            "SELECT p.owner_id FROM playlists p JOIN likes l ON l.user_id = p.owner_id "
            "WHERE p.kind = 'user' AND p.track_count > 0 "
            "GROUP BY p.owner_id ORDER BY p.owner_id LIMIT 1"
        ).fetchone()
    return f"user-{row[0]}"
