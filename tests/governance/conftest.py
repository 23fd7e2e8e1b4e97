"""Governance fixtures: gateway apps with chosen settings, a real redis-server, and real
gateway processes sharing it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO
from tests.processes import free_port, wait_healthy

AppClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def app_client(settings_env: Path) -> AppClient:
    """``async with app_client(**settings) as c``: a gateway app with those settings."""

    @asynccontextmanager
    async def make(
        client_ip: str = "127.0.0.1", **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        from gateway.app import create_app
        from gateway.config import Settings

        app = create_app(Settings(data_dir=settings_env, **overrides))
        app.state.services.clients.clear_caches()
        transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
            c.app = app  # type: ignore[attr-defined]
            try:
                yield c
            finally:
                await app.state.governance.aclose()

    return make


def _redis_server() -> str | None:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None
    )
    if found is None and os.geteuid() == 0:
        # `make test` installs it first; this covers a bare `pytest` on a fresh machine.
        subprocess.run(["bash", str(REPO / "scripts" / "redis.sh")], check=False)
        found = shutil.which("redis-server")
    return found


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway real redis-server on a free loopback port, owned by the test session."""
    binary = _redis_server()
    if binary is None:
        pytest.skip("redis-server is not installed and cannot be (needs root and apt)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {proc.returncode}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def flush_redis(redis_url: str) -> str:
    """The shared server, emptied: tests must not see each other's keys."""
    import redis

    with redis.Redis.from_url(redis_url) as r:
        r.flushdb()
    return redis_url


def start_gateways(
    count: int, env: dict[str, str]
) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(count):
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
                    env={**os.environ, **env},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for proc, url in zip(procs, urls, strict=True):
            wait_healthy(url, proc, deadline)
    except BaseException:
        stop(procs)
        raise
    return procs, urls


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
