"""The same gateway code over real HTTP: each backend as its own uvicorn process on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import operation
from tests.gateway.test_operations import gql
from tests.processes import free_port, wait_healthy

BACKENDS = ("catalog", "library", "playlists", "search")


@pytest.fixture(scope="module")
def backend_urls(data_dir: Path) -> Iterator[dict[str, str]]:
    env = {**os.environ, "CROSSFADE_DATA_DIR": str(data_dir)}
    procs: list[subprocess.Popen[bytes]] = []
    urls: dict[str, str] = {}
    try:
        for name in BACKENDS:
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gateway.cli", "backend", name, "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls[name] = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        for proc, url in zip(procs, urls.values(), strict=True):
            wait_healthy(url, proc, deadline)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.anyio
async def test_operations_answer_the_same_over_real_http(
    backend_urls: dict[str, str],
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gateway.app import create_app
    from gateway.config import Settings

    for name, url in backend_urls.items():
        monkeypatch.setenv(f"CROSSFADE_{name.upper()}_URL", url)
    settings = Settings()
    assert all(settings.backend_url(n) for n in BACKENDS)
    app = create_app(settings)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
    ) as remote:
        for op, variables in [("Search", {"q": "metalica"}), ("Library", {}), ("MadeForYou", {})]:
            over_http = await gql(remote, operation(op), variables)
            in_process = await gql(client, operation(op), variables)
            assert "errors" not in over_http, over_http.get("errors")
            assert over_http == in_process, op
        ready = await remote.get("/readyz")
        assert ready.status_code == 200
    for http in app.state.http_clients.values():
        await http.aclose()
