"""Interactions and item metadata, read from the SQLite store or from an evaluation log.

Pure stdlib ``sqlite3`` + numpy: the ranking core never imports the backends, so training
reads the store file directly (read-only) instead of going through the services.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Label = int | str


@dataclass(frozen=True)
class Interactions:
    """A user x item weight matrix in CSR form, rows and columns in sorted-ID order.

    ``users[u]`` and ``items[i]`` are the original IDs; within a row ``indices`` ascend, so a
    row lists the user's items in item-ID order (the evaluation protocol depends on that).
    """

    users: NDArray[np.generic]
    items: NDArray[np.generic]
    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    data: NDArray[np.float32]

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def nnz(self) -> int:
        return len(self.indices)

    def row(self, u: int) -> tuple[NDArray[np.int32], NDArray[np.float32]]:
        lo, hi = int(self.indptr[u]), int(self.indptr[u + 1])
        return self.indices[lo:hi], self.data[lo:hi]

    def row_lengths(self) -> NDArray[np.int64]:
        return np.diff(self.indptr)

    def to_dense(self, rows: NDArray[np.int64] | None = None) -> NDArray[np.float32]:
        """Dense float32 matrix of the given rows (all rows by default)."""
        picked = np.arange(self.n_users) if rows is None else rows
        out = np.zeros((len(picked), self.n_items), dtype=np.float32)
        for r, u in enumerate(picked):
            idx, val = self.row(int(u))
            out[r, idx] = val
        return out

    def keep_entries(self, keep: NDArray[np.bool_]) -> Interactions:
        """The same matrix shape keeping only the stored entries where ``keep`` is true."""
        rows = np.repeat(np.arange(self.n_users), self.row_lengths())
        counts = np.bincount(rows[keep], minlength=self.n_users)
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return Interactions(self.users, self.items, indptr, self.indices[keep], self.data[keep])

    @classmethod
    def from_triples(
        cls,
        user_idx: NDArray[np.int64],
        item_idx: NDArray[np.int64],
        weights: NDArray[np.floating],
        users: NDArray[np.generic],
        items: NDArray[np.generic],
    ) -> Interactions:
        """Build from index triples; repeated (user, item) pairs add up."""
        n_items = len(items)
        keys = user_idx.astype(np.int64) * n_items + item_idx.astype(np.int64)
        uniq, inverse = np.unique(keys, return_inverse=True)
        data = np.bincount(inverse, weights=weights, minlength=len(uniq)).astype(np.float32)
        rows = uniq // n_items
        indptr = np.zeros(len(users) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(users)), out=indptr[1:])
        return cls(users, items, indptr, (uniq % n_items).astype(np.int32), data)


@dataclass(frozen=True)
class Catalog:
    """Per-item metadata aligned with the model's item order (track ID ascending)."""

    track_ids: NDArray[np.int64]
    primary_artist: NDArray[np.int64]
    artist_indptr: NDArray[np.int64]  # all artists of item i: artist_ids[indptr[i]:indptr[i+1]]
    artist_ids: NDArray[np.int64]
    explicit: NDArray[np.bool_]
    popularity: NDArray[np.float32]  # 0-100 as in the store
    genre_id: NDArray[np.int64]

    def artists_of(self, i: int) -> NDArray[np.int64]:
        return self.artist_ids[self.artist_indptr[i] : self.artist_indptr[i + 1]]


def _connect(db_path: Path) -> sqlite3.Connection:
    if not db_path.exists():
        raise FileNotFoundError(f"store not found: {db_path}")
    return sqlite3.connect(f"file:{db_path.resolve()}?mode=ro", uri=True)


def read_build_key(db_path: Path) -> str | None:
    """The store's ``meta.build_key`` (what a trained model was built from), if any."""
    with _connect(db_path) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'build_key'").fetchone()
    return None if row is None else str(row[0])


def load_catalog(db_path: Path) -> Catalog:
    conn = _connect(db_path)
    try:
        tracks = np.array(
            conn.execute(
                "SELECT id, explicit, popularity, genre_id FROM tracks ORDER BY id"
            ).fetchall(),
            dtype=np.int64,
        ).reshape(-1, 4)
        links = np.array(
            conn.execute(
                "SELECT track_id, artist_id FROM track_artists ORDER BY track_id, position"
            ).fetchall(),
            dtype=np.int64,
        ).reshape(-1, 2)
    finally:
        conn.close()
    return catalog_of(tracks, links)


def catalog_of(tracks: NDArray[np.int64], links: NDArray[np.int64]) -> Catalog:
    """A catalog from ``tracks`` rows ``(id, explicit, popularity, genre_id)`` in ID order and
    ``links`` rows ``(track_id, artist_id)`` in (track, credit position) order."""
    track_ids = tracks[:, 0]
    pos = np.searchsorted(track_ids, links[:, 0])
    indptr = np.zeros(len(track_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(pos, minlength=len(track_ids)), out=indptr[1:])
    artist_ids = links[:, 1].copy()
    # A track without artist rows gets -1, which never collides with a real artist ID.
    has_artist = indptr[1:] > indptr[:-1]
    primary = np.full(len(track_ids), -1, dtype=np.int64)
    primary[has_artist] = artist_ids[indptr[:-1][has_artist]]
    return Catalog(
        track_ids=track_ids,
        primary_artist=primary,
        artist_indptr=indptr,
        artist_ids=artist_ids,
        explicit=tracks[:, 1].astype(bool),
        popularity=tracks[:, 2].astype(np.float32),
        genre_id=tracks[:, 3],
    )


def load_interactions(db_path: Path, track_ids: NDArray[np.int64]) -> Interactions:
    """Play counts per (user, track), columns aligned with ``track_ids`` (sorted)."""
    conn = _connect(db_path)
    try:
        rows = np.array(
            conn.execute(
                "SELECT user_id, track_id, COUNT(*) FROM plays GROUP BY user_id, track_id"
            ).fetchall(),
            dtype=np.int64,
        ).reshape(-1, 3)
    finally:
        conn.close()
    col = np.searchsorted(track_ids, rows[:, 1])
    known = (col < len(track_ids)) & (track_ids[np.minimum(col, len(track_ids) - 1)] == rows[:, 1])
    rows, col = rows[known], col[known]
    users, user_idx = np.unique(rows[:, 0], return_inverse=True)
    return Interactions.from_triples(user_idx, col, rows[:, 2].astype(np.float64), users, track_ids)


def _is_decimal(v: str) -> bool:
    digits = v[1:] if v[:1] in ("+", "-") else v
    return digits.isascii() and digits.isdigit()


def _sorted_labels(values: Sequence[str]) -> tuple[NDArray[np.generic], NDArray[np.int64]]:
    """Unique labels in protocol order (numeric if every ID is an integer) and row indices."""
    try:
        # int() alone would also take "1_000" and " 7"; only plain decimal digits count.
        if not all(_is_decimal(v) for v in values):
            raise ValueError("not integers")
        ints = np.array([int(v) for v in values], dtype=np.int64)
    except (ValueError, OverflowError):
        strs = np.array(values, dtype=object)
        uniq_s, inv_s = np.unique(strs.astype(str), return_inverse=True)
        return uniq_s.astype(object), inv_s.astype(np.int64)
    uniq_i, inv_i = np.unique(ints, return_inverse=True)
    return uniq_i, inv_i.astype(np.int64)


def read_interactions_tsv(path: Path) -> Interactions:
    """Read a ``crossfade eval`` log: TSV, one header line, then ``user, item, weight[, ts]``.

    Columns are taken by position (the header's names are free); repeated (user, item) rows
    add their weights; the timestamp column is accepted and ignored because the evaluation
    protocol splits at random, not by time. Raises ``ValueError`` naming the bad line.
    """
    with Path(path).open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        if next(reader, None) is None:
            raise ValueError(f"{path}: empty file (expected a header line: user, item, weight)")
        us: list[str] = []
        its: list[str] = []
        ws: list[float] = []
        for line_no, rec in enumerate(reader, start=2):
            if not rec or not "".join(rec).strip():
                continue
            try:
                weight = float(rec[2])
                user, item = rec[0].strip(), rec[1].strip()
            except (IndexError, ValueError):
                raise ValueError(f"{path}:{line_no}: bad row {rec!r}") from None
            if not user or not item or not np.isfinite(weight):
                raise ValueError(f"{path}:{line_no}: bad row {rec!r}")
            us.append(user)
            its.append(item)
            ws.append(weight)
    if not us:
        raise ValueError(f"{path}: no interactions after the header")
    users, user_idx = _sorted_labels(us)
    items, item_idx = _sorted_labels(its)
    return Interactions.from_triples(
        user_idx, item_idx, np.asarray(ws, dtype=np.float64), users, items
    )


def write_interactions_tsv(db_path: Path, out: Path) -> int:
    """Export the store's plays as an evaluation log (one row per user and track)."""
    conn = _connect(db_path)
    try:
        cur = conn.execute(
            "SELECT user_id, track_id, COUNT(*), MAX(played_at) FROM plays"
            " GROUP BY user_id, track_id ORDER BY user_id, track_id"
        )
        n = 0
        with Path(out).open("w", encoding="utf-8", newline="") as fh:
            fh.write("user\titem\tweight\ttimestamp\n")
            for user, item, count, ts in cur:
                fh.write(f"{user}\t{item}\t{count}\t{ts}\n")
                n += 1
    finally:
        conn.close()
    return n
