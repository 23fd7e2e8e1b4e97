"""``crossfade data export``: the store's log and catalog as day-partitioned Parquet."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from tests.batch.conftest import BatchData


def test_export_writes_every_play_under_its_utc_day(batch_data: BatchData) -> None:
    # The session's export (what every Spark test reads), made by export_parquet.
    out = batch_data.export_dir
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

    days = sorted(p.name for p in (out / "plays").iterdir())
    plays = ds.dataset(out / "plays", format="parquet", partitioning="hive")
    per_day = Counter(plays.to_table(columns=["day"]).column("day").to_pylist())

    assert days == [f"day={d}" for d in sorted(stored)]
    assert per_day == stored
    assert set(plays.schema.names) >= {"user_id", "track_id", "played_at", "ms_played"}
    tracks = pq.read_table(out / "tracks.parquet")
    assert tracks.num_rows == n_tracks
    credited = dict(
        zip(tracks.column("id").to_pylist(), tracks.column("artist_ids").to_pylist(), strict=True)
    )
    assert all(credited[t][0] == a for t, a in first_artists.items())
    assert pq.read_table(out / "users.parquet").num_rows == n_users
    meta = json.loads((out / "export.json").read_text())
    assert meta["plays"] == sum(stored.values()) and meta["days"] == len(stored)
