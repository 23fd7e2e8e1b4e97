"""What the bench sends: the stakeholders' operations, for which listeners, with which
variables, written as request files for wrk (one request per line: token TAB JSON body).

The listeners come from the store, shuffled with a fixed seed and split so that no run meets a
listener an earlier step of the same gateway process has seen:

- ``probe``: one listener kept for the single-request count of backend calls for a listener
  the gateway has never seen (after the warm-up);
- ``warmup``: the listeners of the warm-up run (shared caches warm, as in a long-running
  gateway); the responses the ceiling sends are captured for the first few of them;
- ``pool``: every other listener, rotated through by the measured runs;
- ``repeated``: one listener with playlists and likes, sent again and again.

Variables rotate too where an operation takes them (search terms drawn from the catalog's
names, the largest visible playlists, every track for Node), so "a different listener per
request" is not the same search or the same playlist answered from a cache.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import subprocess
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.servers import crossfade
from resolvers.global_id import to_global_id

OPERATIONS = ("HomeFeed", "Search", "Playlist", "MadeForYou", "Library", "Node")
WARMUP_LISTENERS = 200
MIN_POOL = 1000
# Words that match too much to be what a listener types.
# fmt: off
STOP_WORDS = frozenset({
    "feat", "remix", "remastered", "remaster", "version", "edit", "with", "from", "that", "this",
    "your", "live", "radio", "mono", "stereo", "original", "single", "album", "demo",
    "instrumental",
})
# fmt: on
Variables = dict[str, Any]


@dataclass(frozen=True)
class Listeners:
    probe: str
    warmup: list[str]
    pool: list[str]
    repeated: str


@dataclass(frozen=True)
class Line:
    """One request: who sends it and what."""

    handle: str
    body: bytes


@dataclass(frozen=True)
class Workload:
    """The requests of one operation."""

    operation: str
    probe: Line
    warmup: list[Line]
    pool: list[Line]
    repeated: Line
    variable_sets: int  # distinct variable sets the pool rotates over


def _connect(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def listeners(db: Path, seed: int = 0) -> Listeners:
    with _connect(db) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM users ORDER BY id")]
        # The most active kind of listener: own playlists and liked tracks (Library not empty).
        repeated = conn.execute(
            "SELECT p.owner_id FROM playlists p JOIN likes l ON l.user_id = p.owner_id "
            "WHERE p.kind = 'user' AND p.track_count > 0 "
            "GROUP BY p.owner_id ORDER BY p.owner_id LIMIT 1"
        ).fetchone()
    handles = [f"user-{i}" for i in ids]
    random.Random(seed).shuffle(handles)
    if len(handles) < 1 + WARMUP_LISTENERS + MIN_POOL:
        raise SystemExit(
            f"error: the store has {len(handles)} listeners; the bench rotates over at least "
            f"{MIN_POOL} unseen ones plus {WARMUP_LISTENERS} for the warm-up (run `make data`)"
        )
    return Listeners(
        probe=handles[0],
        warmup=handles[1 : 1 + WARMUP_LISTENERS],
        pool=handles[1 + WARMUP_LISTENERS :],
        repeated=f"user-{repeated[0] if repeated else ids[0]}",
    )


def search_terms(conn: sqlite3.Connection) -> list[str]:
    """Words of track and artist names that occur at least twice: things listeners type."""
    words: Counter[str] = Counter()
    for (name,) in conn.execute("SELECT name FROM tracks UNION ALL SELECT name FROM artists"):
        words.update(re.findall(r"[a-z]{4,}", name.lower()))
    return sorted(w for w, n in words.items() if n >= 2 and w not in STOP_WORDS)


def variable_sets(operation: str, db: Path) -> list[Variables]:
    """Every variable set the distinct-listener runs rotate over (in a stable order)."""
    with _connect(db) as conn:
        if operation == "Search":
            return [{"q": term} for term in search_terms(conn)]
        if operation == "Playlist":
            # No stored playlist reaches the page size (100); the largest visible ones do
            # the most per request.
            rows = conn.execute(
                "SELECT id FROM playlists WHERE (public = 1 OR kind = 'editorial') "
                "AND track_count >= 40 ORDER BY track_count DESC, id"
            )
            return [{"id": to_global_id("Playlist", row[0])} for row in rows]
        if operation == "Node":
            rows = conn.execute("SELECT id FROM tracks ORDER BY id")
            return [{"id": to_global_id("Track", row[0])} for row in rows]
    return [{}]


def repeated_variables(operation: str, sets: Sequence[Variables]) -> Variables:
    # The same choices as the single-listener bench of the issue: "love" for Search, the
    # largest playlist, the first track.
    return {"q": "love"} if operation == "Search" else dict(sets[0])


def body(operation: str, query: str, variables: Variables) -> bytes:
    document = {"query": query, "operationName": operation, "variables": variables}
    # ASCII-only compact JSON: no tab or newline can end up inside a request line.
    return json.dumps(document, separators=(",", ":")).encode("ascii")


def workload(operation: str, query: str, people: Listeners, db: Path, seed: int = 0) -> Workload:
    sets = variable_sets(operation, db)
    shuffled = list(sets)
    random.Random(f"{seed}:{operation}").shuffle(shuffled)
    # The probe's variables and the warm-up's are kept out of the pool when there are enough
    # of them, so the probe and the pool meet no variable set the warm-up has cached.
    probe_vars = shuffled[0]
    warm_count = max(1, len(shuffled) // 10)
    warm_vars = shuffled[1 : 1 + warm_count] or shuffled
    pool_vars = shuffled[1 + warm_count :] or shuffled
    return Workload(
        operation=operation,
        probe=Line(people.probe, body(operation, query, probe_vars)),
        warmup=[
            Line(h, body(operation, query, warm_vars[i % len(warm_vars)]))
            for i, h in enumerate(people.warmup)
        ],
        pool=[
            Line(h, body(operation, query, pool_vars[i % len(pool_vars)]))
            for i, h in enumerate(people.pool)
        ],
        repeated=Line(people.repeated, body(operation, query, repeated_variables(operation, sets))),
        variable_sets=len(pool_vars),
    )


def sign(handles: Sequence[str], env: Mapping[str, str]) -> dict[str, str]:
    """One token per listener from ``crossfade token`` with the gateway's secret."""
    unique = list(dict.fromkeys(handles))
    out = subprocess.run(
        [crossfade(), "token", *unique], env=dict(env), capture_output=True, text=True, check=True
    ).stdout.splitlines()
    if len(out) != len(unique):
        raise RuntimeError(f"crossfade token printed {len(out)} tokens for {len(unique)} handles")
    return dict(zip(unique, out, strict=True))


def write_lines(path: Path, lines: Sequence[Line], tokens: Mapping[str, str]) -> Path:
    path.write_bytes(b"".join(tokens[ln.handle].encode() + b"\t" + ln.body + b"\n" for ln in lines))
    return path
