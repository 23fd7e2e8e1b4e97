"""``crossfade data export``: the store's listening log and catalog as Parquet, for batch jobs.

Layout of ``DIR`` (Hive-style partitions, which Spark, pyarrow and most engines read as is)::

    plays/day=YYYY-MM-DD/*.parquet   user_id, track_id, played_at (unix ms), ms_played, simulated
    tracks.parquet                   id, name, album_id, genre_id, explicit, popularity,
                                     duration_ms, artist_ids (credited order)
    users.parquet                    id, explicit_filter, simulated
    export.json                      the store's build key, counts and the layout's version

Plays are partitioned by their UTC day so a daily job reads only the days it needs. The
store is read in chunks, so memory stays flat however long the log is. Everything is written
to a temporary directory first and moved into place at the end, so a failed export leaves the
previous one as it was.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from backends.store.database import connect

LAYOUT_VERSION = "1"
CHUNK_ROWS = 1_000_000
PLAYS_SCHEMA = pa.schema(
    [
        ("user_id", pa.int64()),
        ("track_id", pa.int64()),
        ("played_at", pa.int64()),
        ("ms_played", pa.int64()),
        ("simulated", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class ExportReport:
    out: str
    plays: int
    days: int
    tracks: int
    users: int


def _play_batches(conn: sqlite3.Connection) -> Iterator[pa.RecordBatch]:
    cur = conn.execute(
        "SELECT user_id, track_id, played_at, ms_played, simulated != 0 FROM plays ORDER BY id"
    )
    while rows := cur.fetchmany(CHUNK_ROWS):
        cols = list(zip(*rows, strict=True))
        batch = pa.RecordBatch.from_arrays(
            [
                pa.array(c, type=pa.int64()).cast(f.type)
                for c, f in zip(cols, PLAYS_SCHEMA, strict=True)
            ],
            schema=PLAYS_SCHEMA,
        )
        day = pc.strftime(
            pc.cast(batch.column("played_at"), pa.timestamp("ms", tz="UTC")), format="%Y-%m-%d"
        )
        yield batch.append_column("day", day)


def _tracks(conn: sqlite3.Connection) -> pa.Table:
    rows = conn.execute(
        "SELECT id, name, album_id, genre_id, explicit, popularity, duration_ms FROM tracks"
        " ORDER BY id"
    ).fetchall()
    artists: dict[int, list[int]] = {}
    for track_id, artist_id in conn.execute(
        "SELECT track_id, artist_id FROM track_artists ORDER BY track_id, position"
    ):
        artists.setdefault(track_id, []).append(artist_id)
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 7
    return pa.table(
        {
            "id": pa.array(cols[0], pa.int64()),
            "name": pa.array(cols[1], pa.string()),
            "album_id": pa.array(cols[2], pa.int64()),
            "genre_id": pa.array(cols[3], pa.int64()),
            "explicit": pa.array([bool(v) for v in cols[4]], pa.bool_()),
            "popularity": pa.array(cols[5], pa.int64()),
            "duration_ms": pa.array(cols[6], pa.int64()),
            "artist_ids": pa.array([artists.get(t, []) for t in cols[0]], pa.list_(pa.int64())),
        }
    )


def _users(conn: sqlite3.Connection) -> pa.Table:
    rows = conn.execute("SELECT id, explicit_filter, simulated FROM users ORDER BY id").fetchall()
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 3
    return pa.table(
        {
            "id": pa.array(cols[0], pa.int64()),
            "explicit_filter": pa.array([bool(v) for v in cols[1]], pa.bool_()),
            "simulated": pa.array([bool(v) for v in cols[2]], pa.bool_()),
        }
    )


def _replace(tmp: Path, final: Path) -> None:
    if final.is_dir():
        shutil.rmtree(final)
    elif final.exists():
        final.unlink()
    tmp.rename(final)


def export_parquet(db_path: Path, out: Path) -> ExportReport:
    """Write the store at ``db_path`` to ``out`` (created if needed) in the layout above."""
    if not db_path.exists():
        raise FileNotFoundError(f"no store at {db_path}; run `crossfade data build` first")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=out, prefix=".export."))
    try:
        with closing(connect(db_path, read_only=True)) as conn:
            conn.row_factory = None
            build_key = conn.execute("SELECT value FROM meta WHERE key = 'build_key'").fetchone()
            tracks, users = _tracks(conn), _users(conn)
            pq.write_table(tracks, work / "tracks.parquet")
            pq.write_table(users, work / "users.parquet")
            ds.write_dataset(
                _play_batches(conn),
                work / "plays",
                schema=PLAYS_SCHEMA.append(pa.field("day", pa.string())),
                format="parquet",
                partitioning=ds.partitioning(pa.schema([("day", pa.string())]), flavor="hive"),
                max_rows_per_group=CHUNK_ROWS,
            )
        plays = ds.dataset(work / "plays", format="parquet", partitioning="hive")
        report = ExportReport(
            out=str(out),
            plays=plays.count_rows(),
            days=len(list((work / "plays").glob("day=*"))),
            tracks=tracks.num_rows,
            users=users.num_rows,
        )
        meta = asdict(report) | {
            "layout_version": LAYOUT_VERSION,
            "build_key": None if build_key is None else str(build_key[0]),
        }
        (work / "export.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        for name in ("plays", "tracks.parquet", "users.parquet", "export.json"):
            _replace(work / name, out / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report
