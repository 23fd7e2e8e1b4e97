"""The tiny store of four clear tastes (tests/support/tastes.py), trained once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from ranking import RankingCore
from tests.support.store import STORE, taste_store


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The store's database and its models directory."""
    data_dir = taste_store(tmp_path_factory.mktemp("ranking"))
    return data_dir / STORE, data_dir / "models"


@pytest.fixture(scope="session")
def core(trained: tuple[Path, Path]) -> RankingCore:
    return RankingCore.load(trained[1])
