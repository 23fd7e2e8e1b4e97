"""Fixtures of the resilience tests: reference backends and the gateway as real processes
(gateway apps in front of them come from the ``gateway`` fixture of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.edit_stack import EditStack, edit_stack
from tests.support.process import ServerProcess, SpawnBackend, backend_process, stop_all


@pytest.fixture
def spawn_backend(data_dir: Path) -> Iterator[SpawnBackend]:
    """``spawn_backend("search", "--inject-latency-ms", "5000")``: started, stopped after."""
    started: list[ServerProcess] = []

    def spawn(name: str, *flags: str) -> ServerProcess:
        started.append(backend_process(name, data_dir, *flags).start())
        return started[-1]

    yield spawn
    stop_all(started)


@pytest.fixture(scope="module")
def stack(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EditStack]:
    """The playlists service and a gateway as processes over a private copy of the store,
    one pair per test module."""
    with edit_stack(data_dir, tmp_path_factory.mktemp("edit-stack")) as running:
        yield running
