"""``crossfade data export``: the store's log and catalog as day-partitioned Parquet."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from backends.store.export import export_parquet
from tests.batch.conftest import BatchData


def test_export_writes_every_play_under_its_utc_day(batch_data: BatchData, tmp_path: Path) -> None:
    out = export_parquet(batch_data.db, tmp_path / "export")
    with sqlite3.connect(batch_data.db) as conn:
        stored = Counter(
            dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date().isoformat()
            for (ms,) in conn.execute("SELECT played_at FROM plays")
        )
        n_tracks = conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
        n_users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
        first_artists = dict(
            conn.execute("SELECT track_id, artist_id FROM track_artists WHERE position = 0")
        )

    days = sorted(p.name for p in (Path(out.out) / "plays").iterdir())
    plays = ds.dataset(Path(out.out) / "plays", format="parquet", partitioning="hive")
    per_day = Counter(plays.to_table(columns=["day"]).column("day").to_pylist())

    assert days == [f"day={d}" for d in sorted(stored)]
    assert per_day == stored
    assert set(plays.schema.names) >= {"user_id", "track_id", "played_at", "ms_played"}
    tracks = pq.read_table(Path(out.out) / "tracks.parquet")
    assert tracks.num_rows == n_tracks
    credited = dict(
        zip(tracks.column("id").to_pylist(), tracks.column("artist_ids").to_pylist(), strict=True)
    )
    assert all(credited[t][0] == a for t, a in first_artists.items())
    assert pq.read_table(Path(out.out) / "users.parquet").num_rows == n_users
    meta = json.loads((Path(out.out) / "export.json").read_text())
    assert meta["plays"] == sum(stored.values()) and meta["days"] == len(stored)
