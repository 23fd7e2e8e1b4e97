"""The exported listening log and catalog (``backends.store.export`` layout) as batch input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
from numpy.typing import NDArray
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from ranking.dataset import Catalog, catalog_of


def read_meta(export_dir: Path) -> dict[str, Any]:
    path = export_dir / "export.json"
    if not path.is_file():
        raise FileNotFoundError(f"no export at {export_dir}: run `crossfade data export --out DIR`")
    meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return meta


def play_counts(spark: SparkSession, export_dir: Path) -> DataFrame:
    """``(user_id, track_id, plays)``: plays per listener and track over the whole log, the
    history the gateway hands the ranking core (``/plays/counts``)."""
    plays = spark.read.parquet(str(export_dir / "plays"))
    return plays.groupBy("user_id", "track_id").agg(F.count(F.lit(1)).alias("plays"))


def read_users(spark: SparkSession, export_dir: Path) -> DataFrame:
    """``(id, explicit_filter, simulated)`` of every listener."""
    return spark.read.parquet(str(export_dir / "users.parquet"))


def read_catalog(export_dir: Path) -> Catalog:
    """The catalog in the ranking core's item order (track ID ascending), read on the driver:
    a catalog is small next to its log."""
    table = pq.read_table(
        export_dir / "tracks.parquet",
        columns=["id", "explicit", "popularity", "genre_id", "artist_ids"],
    ).sort_by("id")
    ids = table.column("id").to_numpy()
    tracks = np.column_stack(
        [
            ids,
            table.column("explicit").to_numpy(zero_copy_only=False).astype(np.int64),
            table.column("popularity").to_numpy(),
            table.column("genre_id").to_numpy(),
        ]
    ).astype(np.int64)
    artists = table.column("artist_ids").combine_chunks()
    lengths = artists.value_lengths().to_numpy(zero_copy_only=False)
    links = np.column_stack(
        [np.repeat(ids, np.nan_to_num(lengths).astype(np.int64)), artists.flatten().to_numpy()]
    ).astype(np.int64)
    return catalog_of(tracks.reshape(-1, 4), links.reshape(-1, 2))


def aligned(
    item_ids: NDArray[np.int64], found: NDArray[np.int64], values: NDArray[Any]
) -> NDArray[Any]:
    """``values`` (one row per ``found`` ID) laid out on ``item_ids``' rows; zeros elsewhere
    (items the log never played, IDs outside the catalog dropped)."""
    out = np.zeros((len(item_ids), *values.shape[1:]), dtype=values.dtype)
    if len(item_ids) == 0:
        return out
    pos = np.searchsorted(item_ids, found)
    known = (pos < len(item_ids)) & (item_ids[np.minimum(pos, len(item_ids) - 1)] == found)
    out[pos[known]] = values[known]
    return out
