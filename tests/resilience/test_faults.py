"""Fault injection in the reference backends: errors, garbled answers, latency under a budget."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import orjson
import pytest

from backends.faults import Faults
from backends.settings import BackendSettings
from tests.support.app import backend_client
from tests.support.process import SpawnBackend

pytestmark = pytest.mark.anyio


def _client(data_dir: Path, faults: Faults) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return backend_client("catalog", BackendSettings(data_dir=data_dir), faults)


async def test_injected_errors_answer_503_while_healthz_stays_truthful(data_dir: Path) -> None:
    async with _client(data_dir, Faults(error_rate=1.0)) as backend:
        failed = await backend.get("/tracks", params={"ids": "1"})
        health = await backend.get("/healthz")
    assert failed.status_code == 503
    assert failed.json()["error"]["code"] == "INJECTED_FAULT"
    assert health.status_code == 200


async def test_injected_malformed_answers_are_cut_off_json(data_dir: Path) -> None:
    async with _client(data_dir, Faults(malformed_rate=1.0)) as backend:
        response = await backend.get("/tracks", params={"ids": "1"})
    assert response.status_code == 200
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(response.content)


async def test_injected_latency_stops_at_the_callers_budget(data_dir: Path) -> None:
    async with _client(data_dir, Faults(latency_ms=5000)) as backend:
        started = time.monotonic()
        response = await backend.get(
            "/tracks", params={"ids": "1"}, headers={"x-crossfade-deadline-ms": "100"}
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "DEADLINE_EXCEEDED"
    assert elapsed < 4.0  # behaviour bound: the 5 s sleep was cut short


async def test_a_budget_that_is_not_a_positive_integer_is_refused(data_dir: Path) -> None:
    async with _client(data_dir, Faults()) as backend:
        answers = [
            await backend.get(
                "/tracks", params={"ids": "1"}, headers={"x-crossfade-deadline-ms": v}
            )
            for v in ("soon", "-5", "0", "99999999999")
        ]
        ok = await backend.get(
            "/tracks", params={"ids": "1"}, headers={"x-crossfade-deadline-ms": "2000"}
        )
    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert {a.json()["error"]["code"] for a in answers} == {"BAD_REQUEST"}
    assert ok.status_code == 200 and ok.json()["tracks"][0]["id"] == 1


def test_each_backend_can_have_its_own_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSFADE_INJECT_LATENCY_MS", "200")
    monkeypatch.setenv("CROSSFADE_SEARCH_INJECT_ERROR_RATE", "1")
    monkeypatch.setenv("CROSSFADE_SEARCH_INJECT_LATENCY_MS", "0")
    settings = BackendSettings()
    assert settings.faults("search") == Faults(latency_ms=0.0, error_rate=1.0)
    assert settings.faults("catalog") == Faults(latency_ms=200.0)


@pytest.mark.slow  # runs the CLI as a process
def test_a_rate_above_one_is_refused_by_the_cli() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "backend",
            "catalog",
            "--port",
            "1",
            "--inject-error-rate",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--inject-error-rate: 2 is not between 0 and 1" in result.stderr


@pytest.mark.slow
def test_cli_flags_break_a_backend_process(spawn_backend: SpawnBackend) -> None:
    broken = spawn_backend("catalog", "--inject-error-rate", "1.0")
    response = httpx.get(f"{broken.url}/tracks", params={"ids": "1"}, timeout=5)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "INJECTED_FAULT"
    assert httpx.get(f"{broken.url}/healthz", timeout=5).status_code == 200
