"""Fixtures of the resilience tests: backend processes and a gateway in front of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.resilience.processes import BackendProcess

SpawnBackend = Callable[..., BackendProcess]
GatewayFactory = Callable[..., Any]


@pytest.fixture
def spawn_backend(data_dir: Path) -> Iterator[SpawnBackend]:
    """``spawn_backend("search", "--inject-latency-ms", "5000")``: started, stopped after."""
    started: list[BackendProcess] = []

    def spawn(name: str, *flags: str) -> BackendProcess:
        process = BackendProcess(name, data_dir, *flags).start()
        started.append(process)
        return process

    yield spawn
    for process in started:
        process.stop()


@pytest.fixture
async def gateway(settings_env: Path) -> AsyncIterator[GatewayFactory]:
    """``await gateway(search=process, request_deadline_s=1)``: a gateway app client whose
    named backends are the given processes (the others stay in-process)."""
    from gateway.app import create_app
    from gateway.config import Settings

    clients: list[httpx.AsyncClient] = []

    async def build(**overrides: Any) -> httpx.AsyncClient:
        for name in ("catalog", "library", "playlists", "search"):
            process = overrides.pop(name, None)
            if process is not None:
                overrides[f"{name}_url"] = process.url
        app = create_app(Settings(data_dir=settings_env, **overrides))
        app.state.services.clients.clear_caches()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
        )
        client.app = app  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield build
    for client in clients:
        for http in client.app.state.http_clients.values():  # type: ignore[attr-defined]
            await http.aclose()
        await client.aclose()
