"""The on-disk model artifact: ``models_dir/<version>/`` plus a ``CURRENT`` pointer.

A version directory is written under a temporary name and renamed into place, and CURRENT is
replaced atomically, so a gateway starting mid-training reads either the old model or the
new one, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ranking.dataset import Catalog

CURRENT = "CURRENT"
METADATA = "metadata.json"
_CATALOG_FIELDS = (
    "track_ids",
    "primary_artist",
    "artist_indptr",
    "artist_ids",
    "explicit",
    "popularity",
    "genre_id",
)


class ModelNotFoundError(FileNotFoundError):
    """No trained model where the gateway looks; run ``crossfade train``."""


@dataclass(frozen=True)
class Artifact:
    version: str
    metadata: dict[str, Any]
    catalog: Catalog
    arrays: dict[str, NDArray[Any]]


def read_current(models_dir: Path) -> str:
    pointer = Path(models_dir) / CURRENT
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ModelNotFoundError(
            f"no ranking model: {pointer} is missing (run `crossfade train`)"
        ) from None
    if not version or not (Path(models_dir) / version / METADATA).is_file():
        raise ModelNotFoundError(f"{pointer} names {version!r}, which is not a complete model")
    return version


def write_current(models_dir: Path, version: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=models_dir, prefix=".CURRENT.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(version + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, Path(models_dir) / CURRENT)


def save(
    models_dir: Path,
    version: str,
    metadata: dict[str, Any],
    catalog: Catalog,
    arrays: dict[str, NDArray[Any]],
) -> Path:
    """Write a complete version directory and return its path (CURRENT is left alone)."""
    models_dir.mkdir(parents=True, exist_ok=True)
    final = models_dir / version
    tmp = Path(tempfile.mkdtemp(dir=models_dir, prefix=f".{version}."))
    try:
        np.savez(tmp / "catalog.npz", **{f: getattr(catalog, f) for f in _CATALOG_FIELDS})
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", array)
        sizes = {p.name: p.stat().st_size for p in sorted(tmp.iterdir())}
        meta = metadata | {"version": version, "files": sizes}
        (tmp / METADATA).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


def load(models_dir: Path, version: str | None = None) -> Artifact:
    version = version or read_current(models_dir)
    root = Path(models_dir) / version
    metadata = json.loads((root / METADATA).read_text(encoding="utf-8"))
    with np.load(root / "catalog.npz") as npz:
        catalog = Catalog(**{f: _frozen(npz[f]) for f in _CATALOG_FIELDS})
    arrays = {p.stem: _frozen(np.load(p)) for p in sorted(root.glob("*.npy"))}
    return Artifact(version, metadata, catalog, arrays)
