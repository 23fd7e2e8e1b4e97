"""Fixtures of the backend tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.store import copy_store, fixture_store, wheel_data_dir


@pytest.fixture(scope="session")
def fixture_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made store, built once: tests get copies of it (``fixture_dir``)."""
    return fixture_store(tmp_path_factory.mktemp("fixture-store"))


@pytest.fixture
def fixture_dir(fixture_template: Path, tmp_path: Path) -> Path:
    """A private copy of the hand-made store: a test may write to it. Copying takes a tenth
    of the time building does, and a hundred tests use it."""
    return copy_store(fixture_template, tmp_path / "fixture")


@pytest.fixture
def ingest_dir(tmp_path: Path, wheel: Path) -> Path:
    """An empty data directory whose downloads already hold the source wheel."""
    return wheel_data_dir(tmp_path / "data", wheel)
