"""Scale run of the Spark path: a generated (simulated, seeded) log of at least 20 M plays,
200 k listeners and 50 k items, written as the export layout (``crossfade data export``), then
ALS trained on it by ``batch.train.train_spark`` on ``local[2]``.

Prints (and writes to ``bench/results/spark_scale.json``) the sizes, the training wall time,
the peak memory of the whole process tree (this Python driver, the JVM it starts and any
Python workers: the largest sum of their resident sets, sampled every 0.5 s, plus each one's
own high-water mark, VmHWM), and what numpy EASE would need for the same catalog.

    .venv/bin/python bench/spark_scale.py [--listeners 200000 --items 50000 --plays 20000000]

The log is SIMULATED (no real listening log ships): listeners have 1-3 of 50 tastes (genres
of 1,000 items each), Zipf popularity inside a taste, 10% plays off-taste by global
popularity, lognormal activity, 90 days. Generated data lives in bench/results/ (ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from numpy.typing import NDArray

from backends.store import export
from batch.als import ALSParams
from batch.session import spark_session
from batch.train import train_spark

SEED = 20261130
GENRE_SIZE = 1_000
DAYS = 90
START_MS = 1_767_225_600_000  # 2026-01-01T00:00Z
OFF_TASTE = 0.10
CHUNK_LISTENERS = 20_000
# The export's layout, with the partition column written in each file.
PLAYS_SCHEMA = export.PLAYS_SCHEMA.append(pa.field("day", pa.string()))


def _zipf_cdf(n: int, s: float, offset: float) -> NDArray[np.float64]:
    w = 1.0 / (np.arange(n) + offset) ** s
    cdf: NDArray[np.float64] = np.cumsum(w) / w.sum()
    return cdf


def _plays(listeners: int, items: int, plays: int, rng: np.random.Generator) -> Any:
    genres = items // GENRE_SIZE
    activity = rng.lognormal(4.2, 0.8, size=listeners)
    per_user = np.maximum(1, np.round(activity * plays / activity.sum())).astype(np.int64)
    short = plays - int(per_user.sum())
    if short > 0:  # rounding left the total short: top it up to the plays asked for
        per_user[:short] += 1
    in_genre = _zipf_cdf(GENRE_SIZE, 0.9, 5.0)
    overall = _zipf_cdf(items, 0.8, 20.0)
    names = pa.array(
        [
            time.strftime("%Y-%m-%d", time.gmtime((START_MS + d * 86_400_000) / 1000))
            for d in range(DAYS)
        ]
    )
    for lo in range(0, listeners, CHUNK_LISTENERS):
        hi = min(lo + CHUNK_LISTENERS, listeners)
        n = per_user[lo:hi]
        users = np.repeat(np.arange(lo, hi), n)
        k = len(users)
        # Each listener's 3 tastes with Dirichlet weights; one taste for a third of them.
        tastes = rng.integers(0, genres, size=(hi - lo, 3))
        weights = rng.dirichlet([1.0, 0.5, 0.25], size=hi - lo)
        weights[rng.random(hi - lo) < 1 / 3] = [1.0, 0.0, 0.0]
        cum = np.cumsum(weights, axis=1)[users - lo]
        pick = (rng.random(k)[:, None] > cum).sum(axis=1).clip(0, 2)
        genre = tastes[users - lo, pick]
        item = genre * GENRE_SIZE + np.searchsorted(in_genre, rng.random(k))
        off = rng.random(k) < OFF_TASTE
        item[off] = np.searchsorted(overall, rng.random(int(off.sum())))
        played_at = START_MS + rng.integers(0, DAYS * 86_400_000, size=k)
        day = (played_at - START_MS) // 86_400_000
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(users + 1),
                pa.array(np.minimum(item, items - 1) + 1),
                pa.array(played_at),
                pa.array(np.full(k, 180_000, dtype=np.int64)),
                pa.array(np.ones(k, dtype=bool)),
                names.take(pa.array(day)),
            ],
            schema=PLAYS_SCHEMA,
        )


def generate(out: Path, listeners: int, items: int, plays: int) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    ids = np.arange(1, items + 1, dtype=np.int64)
    pq.write_table(
        pa.table(
            {
                "id": ids,
                "name": [f"simulated track {i}" for i in ids],
                "album_id": (ids - 1) // 10 + 1,
                "genre_id": (ids - 1) // GENRE_SIZE + 1,
                "explicit": rng.random(items) < 0.08,
                "popularity": rng.integers(0, 100, size=items),
                "duration_ms": np.full(items, 180_000, dtype=np.int64),
                "artist_ids": pa.array([[int((i - 1) // 8 + 1)] for i in ids]),
            }
        ),
        out / "tracks.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "id": np.arange(1, listeners + 1, dtype=np.int64),
                "explicit_filter": rng.random(listeners) < 0.05,
                "simulated": np.ones(listeners, dtype=bool),
            }
        ),
        out / "users.parquet",
    )
    ds.write_dataset(
        _plays(listeners, items, plays, rng),
        out / "plays",
        schema=PLAYS_SCHEMA,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("day", pa.string())]), flavor="hive"),
        max_rows_per_group=1_000_000,
    )
    written = ds.dataset(out / "plays", format="parquet", partitioning="hive").count_rows()
    meta = {
        "out": str(out),
        "plays": written,
        "days": DAYS,
        "tracks": items,
        "users": listeners,
        "layout_version": "1",
        "build_key": f"simulated-scale-{SEED}-{listeners}-{items}-{plays}",
        "simulated": True,
        "seed": SEED,
    }
    (out / "export.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakMemory:
    """Samples the summed RSS of this process tree; keeps each process's VmHWM too."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self.interval_s = interval_s
        self.peak_kb = 0
        self.hwm_kb: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        total = 0
        for pid in _tree(os.getpid()):
            total += _status_kb(pid, "VmRSS")
            hwm = _status_kb(pid, "VmHWM")
            try:
                name = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                name = "?"
            if hwm > self.hwm_kb.get(pid, ("", 0))[1]:
                self.hwm_kb[pid] = (name, hwm)
        self.peak_kb = max(self.peak_kb, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._sample()


def ease_cost(items: int, listeners: int) -> dict[str, Any]:
    """What numpy EASE (``ranking.ease``) would need for this catalog."""
    gib = 1024**3
    b = items**2 * 4  # B, float32, held by every serving process
    return {
        "weights_B_float32_gib": round(b / gib, 1),
        "items_squared_x_8_bytes_gib": round(items**2 * 8 / gib, 1),
        "training_peak_gib": round(4 * b / gib, 1),  # Gram, inverse factor, P, B at once
        "dense_log_X_float32_gib": round(listeners * items * 4 / gib, 1),  # train's to_dense
        "inverse_flops": float(items) ** 3,
        "why": (
            f"EASE inverts the {items:,} x {items:,} Gram matrix: {b / gib:.1f} GiB per "
            f"float32 copy, ~4 copies at the peak ({4 * b / gib:.1f} GiB), and crossfade train "
            f"also densifies the log ({listeners * items * 4 / gib:.1f} GiB), on a 24 GiB "
            f"machine; every gateway process would then hold B ({b / gib:.1f} GiB), where ALS "
            f"serves {items:,} x 64 float32 factors ({items * 64 * 4 / 1024**2:.1f} MiB)."
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listeners", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--plays", type=int, default=20_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--alpha", type=float, default=4.0, help="tuned on the 5,000-listener log")
    parser.add_argument("--regularization", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=Path("bench/results/spark_scale"))
    parser.add_argument("--keep", action="store_true", help="keep the generated log")
    args = parser.parse_args()

    export = args.out / "export"
    started = time.perf_counter()
    meta = generate(export, args.listeners, args.items, args.plays)
    generated_s = time.perf_counter() - started
    size = sum(p.stat().st_size for p in export.rglob("*") if p.is_file())
    print(
        f"generated {meta['plays']:,} plays, {args.listeners:,} listeners, {args.items:,} items "
        f"(simulated) in {generated_s:.0f} s, {size / 1024**2:.0f} MiB of Parquet"
    )
    params = ALSParams(args.alpha, args.regularization)
    with PeakMemory() as memory:
        t0 = time.perf_counter()
        spark = spark_session(
            args.master,
            app="crossfade-scale",
            driver_memory=args.driver_memory,
            shuffle_partitions=8,
        )
        session_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        path = train_spark(spark, export, args.out / "models", params=params, progress=True)
        train_s = time.perf_counter() - t1
        spark.stop()
    artifact_meta = json.loads((path / "metadata.json").read_text())
    result = {
        "simulated": True,
        "plays": meta["plays"],
        "listeners": args.listeners,
        "items": args.items,
        "user_item_pairs": artifact_meta["counts"]["user_item_pairs"],
        "master": args.master,
        "driver_memory": args.driver_memory,
        "hyperparameters": artifact_meta["hyperparameters"],
        "session_start_s": round(session_s, 1),
        "train_s": round(train_s, 1),
        "peak_rss_tree_gib": round(memory.peak_kb / 1024**2, 2),
        "vm_hwm_gib": {
            f"{name}[{pid}]": round(kb / 1024**2, 2)
            for pid, (name, kb) in sorted(memory.hwm_kb.items(), key=lambda kv: -kv[1][1])[:4]
        },
        "artifact_mib": round(sum(artifact_meta["files"].values()) / 1024**2, 1),
        "load_average_1m_at_end": os.getloadavg()[0],
        "ease": ease_cost(args.items, args.listeners),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out.parent / "spark_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if not args.keep:
        shutil.rmtree(export)


if __name__ == "__main__":
    main()
