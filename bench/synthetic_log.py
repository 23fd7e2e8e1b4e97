"""Write a synthetic listening log shaped like Last.fm hetrec-2011 for timing ``crossfade eval``.

Usage: ``python bench/synthetic_log.py OUT.tsv [--users 1900] [--items 17600] [--rows 93000]``.
Clustered tastes with a power-law item popularity, so models have structure to find; the
numbers it yields say nothing about real listeners — it exists to time the protocol at the
size the issue names (~100k rows, ~2k users, ~18k items).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def write_log(out: Path, users: int, items: int, rows: int, seed: int = 0) -> int:
    rng = np.random.default_rng(seed)
    clusters = 40
    item_cluster = rng.integers(0, clusters, items)
    popularity = 1.0 / np.arange(1, items + 1) ** 0.8
    rng.shuffle(popularity)
    per_user = np.maximum(1, rng.poisson(rows / users, users))
    lines = ["user\titem\tweight\ttimestamp"]
    by_cluster = [np.flatnonzero(item_cluster == c) for c in range(clusters)]
    for u in range(users):
        tastes = rng.choice(clusters, 3, replace=False)
        pool = np.concatenate([by_cluster[c] for c in tastes])
        p = popularity[pool] / popularity[pool].sum()
        n = min(int(per_user[u]), len(pool))
        picked = rng.choice(pool, n, replace=False, p=p)
        plays = rng.zipf(1.6, n)
        lines.extend(
            f"{u + 1}\t{i + 1}\t{w}\t{1_600_000_000 + u}"
            for i, w in zip(picked, plays, strict=True)
        )
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out", type=Path)
    p.add_argument("--users", type=int, default=1_900)
    p.add_argument("--items", type=int, default=17_600)
    p.add_argument("--rows", type=int, default=93_000)
    args = p.parse_args()
    n = write_log(args.out, args.users, args.items, args.rows)
    print(f"wrote {n} rows to {args.out}")


if __name__ == "__main__":
    main()
