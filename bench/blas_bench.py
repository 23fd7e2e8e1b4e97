"""CPU of one listener's ranking (Home's picks, Discover Weekly, the Daily Mixes) under each
way of keeping BLAS off its thread pool, side by side in one run:

- ``pool``: OpenBLAS as numpy starts it, one thread per core;
- ``pinned once``: one thread for the whole process, set once (what a serving process does,
  ``ranking/blas.py``);
- ``threadpool_limits per call``: ``threadpoolctl.threadpool_limits(1)`` around each listener;
- ``controller per call``: a kept ``ThreadpoolController``'s ``limit(1)`` around each listener.

CPU is this process's, all threads (``time.process_time``), so a spinning pool counts. Rounds
alternate between the ways so that machine noise hits them alike; the median round is
reported. Bounded: ``--listeners`` x ``--rounds`` per way.

    .venv/bin/python bench/blas_bench.py [--listeners 100] [--rounds 5]   # needs `make model`
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from threadpoolctl import ThreadpoolController, threadpool_limits

from gateway.config import Settings
from ranking.core import RankingCore


def histories(settings: Settings, listeners: int) -> list[dict[int, float]]:
    found: dict[int, dict[int, float]] = defaultdict(dict)
    with sqlite3.connect(settings.db_path) as conn:
        rows = conn.execute(
            "SELECT user_id, track_id, count(*) FROM plays WHERE user_id <= ?"
            " GROUP BY user_id, track_id",
            (listeners,),
        )
        for user, track, count in rows:
            found[user][track] = float(count)
    return [found[u] for u in sorted(found)]


def rank(core: RankingCore, history: dict[int, float], n: int) -> None:
    played = set(history)
    core.recommend(history, 60, exclude=played, max_per_artist=2)
    seed = max(history, key=lambda t: history[t])
    core.similar_tracks(seed, 20, exclude=played)
    core.top_artists(history, 20)
    core.discover_weekly(history, f"user-{n}", 2026, 48, k=30)
    core.daily_mixes(history, size=50)


def main(listeners: int, rounds: int) -> None:
    settings = Settings()
    core = RankingCore.load(settings.models_dir)
    people = histories(settings, listeners)
    controller = ThreadpoolController()
    pool = max(int(lib["num_threads"]) for lib in controller.select(user_api="blas").info())

    @contextmanager
    def pool_threads() -> Iterator[None]:
        with controller.limit(limits=pool, user_api="blas"):
            yield

    @contextmanager
    def one_thread_meanwhile() -> Iterator[None]:
        with controller.limit(limits=1, user_api="blas"):
            yield

    # The BLAS threads around a whole round, and what each listener's ranking runs inside.
    ways: dict[str, Callable[[], AbstractContextManager[object]]] = {
        f"pool ({pool} threads)": pool_threads,
        "pinned once": one_thread_meanwhile,
        "threadpool_limits per call": pool_threads,
        "controller per call": pool_threads,
    }
    per_call: dict[str, Callable[[], AbstractContextManager[object]]] = {
        "threadpool_limits per call": lambda: threadpool_limits(limits=1, user_api="blas"),
        "controller per call": lambda: controller.limit(limits=1, user_api="blas"),
    }
    figures: dict[str, list[float]] = {name: [] for name in ways}
    for person in people[:5]:  # pages, caches, the pool's threads
        rank(core, person, 0)
    for _ in range(rounds):
        for name, around in ways.items():
            inside = per_call.get(name, nullcontext)
            with around():
                started = time.process_time()
                for n, history in enumerate(people):
                    with inside():
                        rank(core, history, n)
                figures[name].append(1e3 * (time.process_time() - started) / len(people))
    print(f"one listener's ranking (picks, Discover Weekly, mixes), {len(people)} listeners")
    print(f"{'BLAS threads':30} {'median ms':>10} {'min ms':>8}   ({rounds} rounds)")
    for name, values in figures.items():
        print(f"{name:30} {statistics.median(values):10.2f} {min(values):8.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    main(args.listeners, args.rounds)
