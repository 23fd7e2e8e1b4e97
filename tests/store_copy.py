"""A private copy of the session's store, for tests that write a lot or kill its writer."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_store(source: Path, target: Path) -> Path:
    """Copy ``source/crossfade.db`` (consistently, with SQLite's backup API) into ``target``
    and link the ranking models; returns ``target``, ready as a ``CROSSFADE_DATA_DIR``."""
    target.mkdir(parents=True, exist_ok=True)
    with (
        sqlite3.connect(source / "crossfade.db") as src,
        sqlite3.connect(target / "crossfade.db") as dst,
    ):
        src.backup(dst)
    models = target / "models"
    if not models.exists():
        models.symlink_to((source / "models").resolve(), target_is_directory=True)
    return target
