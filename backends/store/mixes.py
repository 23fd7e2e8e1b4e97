"""Batch-built mixes in the store (table ``generated_mixes``): written by ``crossfade mixes
build``, read by the library service for the gateway."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from backends.store.database import apply_schema

Kind = Literal["discover_weekly", "daily_mix"]
KINDS: tuple[Kind, ...] = ("discover_weekly", "daily_mix")


@dataclass(frozen=True, slots=True)
class GeneratedMix:
    user_id: int
    kind: Kind
    position: int
    valid_for: str
    model_version: str
    allow_explicit: bool
    top_artist_ids: tuple[int, ...]
    track_ids: tuple[int, ...]
    generated_at: int  # unix ms

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "position": self.position,
            "valid_for": self.valid_for,
            "model_version": self.model_version,
            "allow_explicit": self.allow_explicit,
            "top_artist_ids": list(self.top_artist_ids),
            "track_ids": list(self.track_ids),
            "generated_at": self.generated_at,
        }


def replace_period(
    conn: sqlite3.Connection, periods: dict[Kind, str], mixes: Iterable[GeneratedMix]
) -> int:
    """Replace every row of each ``kind``'s period with ``mixes`` in one transaction, and drop
    that kind's rows of earlier periods (nothing serves them any more).

    ISO weeks ('2026-W05') and days ('2026-11-03') sort as text in time order. Returns the
    number of rows written. ``conn`` must be in autocommit mode (``backends.store.connect``).
    """
    apply_schema(conn)  # a store built before batch mixes existed gains the table
    conn.execute("BEGIN IMMEDIATE")
    try:
        for kind, period in periods.items():
            conn.execute(
                "DELETE FROM generated_mixes WHERE kind = ? AND valid_for <= ?", (kind, period)
            )
        n = 0
        for m in mixes:
            if periods.get(m.kind) != m.valid_for:
                raise ValueError(f"{m.kind} for {m.valid_for} outside {periods}")
            conn.execute(
                "INSERT INTO generated_mixes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    m.user_id,
                    m.kind,
                    m.position,
                    m.valid_for,
                    m.model_version,
                    int(m.allow_explicit),
                    json.dumps(list(m.top_artist_ids)),
                    json.dumps(list(m.track_ids)),
                    m.generated_at,
                ),
            )
            n += 1
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return n


def read_mixes(
    conn: sqlite3.Connection, user_id: int, periods: Sequence[str]
) -> list[GeneratedMix]:
    """A listener's batch mixes valid for any of ``periods``, by kind then position."""
    if not periods:
        return []
    marks = ",".join("?" * len(periods))
    try:
        rows = conn.execute(
            "SELECT user_id, kind, position, valid_for, model_version, allow_explicit,"
            " top_artist_ids, track_ids, generated_at FROM generated_mixes"
            f" WHERE user_id = ? AND valid_for IN ({marks}) ORDER BY kind, position",
            (user_id, *periods),
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # a store no batch job has written to yet
        raise
    return [
        GeneratedMix(
            user_id=int(r[0]),
            kind=r[1],
            position=int(r[2]),
            valid_for=str(r[3]),
            model_version=str(r[4]),
            allow_explicit=bool(r[5]),
            top_artist_ids=tuple(int(a) for a in json.loads(r[6])),
            track_ids=tuple(int(t) for t in json.loads(r[7])),
            generated_at=int(r[8]),
        )
        for r in rows
    ]
