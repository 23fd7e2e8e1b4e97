"""The same gateway code over real HTTP: each backend as its own uvicorn process on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backends.names import BACKENDS
from gateway.config import Settings
from tests.support.app import gateway_client
from tests.support.graphql import execute
from tests.support.process import backend_process, start_all, stop_all
from tests.support.repo import operation


@pytest.fixture(scope="module")
def backend_urls(data_dir: Path) -> Iterator[dict[str, str]]:
    processes = {name: backend_process(name, data_dir) for name in BACKENDS}
    start_all(processes.values(), timeout_s=30)
    try:
        yield {name: process.url for name, process in processes.items()}
    finally:
        stop_all(processes.values())


@pytest.mark.slow
@pytest.mark.anyio
async def test_operations_answer_the_same_over_real_http(
    backend_urls: dict[str, str],
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, url in backend_urls.items():
        monkeypatch.setenv(f"CROSSFADE_{name.upper()}_URL", url)
    settings = Settings()
    assert all(settings.backend_url(n) for n in BACKENDS)
    async with gateway_client(settings) as remote:
        for op, variables in [("Search", {"q": "metalica"}), ("Library", {}), ("MadeForYou", {})]:
            over_http = await execute(remote, operation(op), variables)
            in_process = await execute(client, operation(op), variables)
            assert "errors" not in over_http, over_http.get("errors")
            assert over_http == in_process, op
        ready = await remote.get("/readyz")
        assert ready.status_code == 200
