"""The response cache's hit ratio in a realistic mix, on simulated time.

Listeners use the app in sessions: it comes to the foreground on Home, then they switch tabs
(Home again, their Library, Made for you, a search) every few seconds to a minute, and play
tracks as they go (a play recorded through the gateway after ``--play-share`` of the actions,
a playlist edit after ``--edit-share``); they come back minutes later (log-normal gaps
between sessions, median ``--median-return`` s, clipped to 30 s .. 1 h). Guests open Home and
search. Writes go through the gateway, so invalidation happens as in production.

The gateway runs in process (real schema, resolvers, in-process backends over a copy of the
store: writes do not touch ./data) with the cache's clock replaced by the simulation's, so
``--minutes`` of traffic take only the time the misses need to execute. Every request is real.
Prints hits and misses per operation and overall.

    .venv/bin/python bench/hit_ratio.py [--listeners 60 --minutes 30]

Needs `make data model`. Bounded: roughly listeners x minutes / 2 requests (~1,000 by default,
well under a minute of execution on a quiet machine).
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import random
import sqlite3
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gateway.authenticator import issue_token  # noqa: E402
from gateway.config import Settings  # noqa: E402
from resolvers.global_id import to_global_id  # noqa: E402
from tests.support.store import copy_store  # noqa: E402

OPERATIONS = REPO / "schema" / "operations"
SEARCHES = ["love", "rock", "dance", "night", "metal", "summer", "blue", "fire"]


def query(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


class SimulatedClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def owned_playlists(store: Path, user_ids: list[int]) -> dict[int, list[int]]:
    with sqlite3.connect(store / "crossfade.db") as conn:
        rows = conn.execute(
            f"SELECT owner_id, id FROM playlists WHERE kind = 'user' AND owner_id IN "
            f"({','.join('?' * len(user_ids))})",
            user_ids,
        ).fetchall()
    found: dict[int, list[int]] = {u: [] for u in user_ids}
    for owner, playlist in rows:
        found[owner].append(playlist)
    return found


async def simulate(args: argparse.Namespace) -> None:
    from gateway.app import create_app

    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="crossfade-hit-ratio-"))
    store = copy_store(Settings().data_dir, work)
    settings = Settings(data_dir=store, rate_limit=False)
    app = create_app(settings)
    clock = SimulatedClock()
    app.state.response_cache.store.clock = clock
    users = rng.sample(range(1, 4000), args.listeners)
    playlists = owned_playlists(store, users)
    tokens = {u: issue_token(settings, f"user-{u}") for u in users}
    favourite = {u: rng.sample(SEARCHES, 2) for u in users}  # what each tends to search
    tracks = list(range(1, 2000))
    # (time, who, actions left in the session): who is a listener, or 0 for a guest
    events: list[tuple[float, int, int]] = [(rng.uniform(0, 600), u, 0) for u in users]
    events += [(rng.uniform(0, 600), 0, 0) for _ in range(max(1, args.listeners // 4))]
    heapq.heapify(events)
    end = args.minutes * 60
    outcomes: Counter[tuple[str, str]] = Counter()
    writes = 0

    def next_session() -> float:
        median: float = args.median_return
        return min(max(rng.lognormvariate(0, 1.0) * median, 30.0), 3600.0)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:

        async def post(name: str, who: int, variables: dict[str, Any] | None = None,
                       operation: str | None = None) -> httpx.Response:  # fmt: skip
            body: dict[str, Any] = {"query": query(name), "variables": variables or {}}
            if operation:
                body["operationName"] = operation
            headers = {"authorization": f"Bearer {tokens[who]}"} if who else {}
            return await client.post("/graphql", json=body, headers=headers)

        while events:
            at, who, left = heapq.heappop(events)
            if at > end:
                break
            clock.now = 1_000.0 + at
            if left == 0:  # the app comes to the foreground: Home first
                name, variables = "HomeFeed", None
                left = rng.randint(2, 8)
            elif who == 0:
                name, variables = rng.choice(
                    [("HomeFeed", None), ("Search", {"q": rng.choice(SEARCHES)})]
                )
            else:
                name, variables = rng.choices(
                    [("HomeFeed", None), ("Library", None), ("MadeForYou", None),
                     ("Search", {"q": rng.choice(favourite[who])})],
                    weights=[35, 25, 20, 20],
                )[0]  # fmt: skip
            response = await post(name, who, variables)
            outcomes[(name, response.headers.get("x-cache", "?"))] += 1
            if who and rng.random() < args.play_share:
                writes += 1
                track = {"trackId": to_global_id("Track", rng.choice(tracks))}
                await post("PlaylistEdits", who, track, "RecordPlay")
            if who and playlists[who] and rng.random() < args.edit_share:
                writes += 1
                edit = {
                    "playlistId": to_global_id("Playlist", rng.choice(playlists[who])),
                    "trackIds": [to_global_id("Track", rng.choice(tracks))],
                }
                await post("PlaylistEdits", who, edit, "AddTracks")
            left -= 1
            if left > 0:  # the next tab, seconds to a minute later
                heapq.heappush(events, (at + rng.uniform(3, 60), who, left))
            else:
                heapq.heappush(events, (at + next_session(), who, 0))
    await app.state.governance.aclose()

    print(f"{args.listeners} listeners (+ guests), {args.minutes:.0f} simulated minutes, "
          f"sessions every {args.median_return:.0f} s (median), a play after "
          f"{args.play_share:.0%} of actions, an edit after {args.edit_share:.0%} "
          f"({writes} writes)")  # fmt: skip
    print(f"{'operation':<11} {'hits':>6} {'misses':>7} {'hit ratio':>9}")
    total_hits = total = 0
    for name in ("HomeFeed", "MadeForYou", "Library", "Search"):
        hits, misses = outcomes[(name, "hit")], outcomes[(name, "miss")]
        total_hits += hits
        total += hits + misses
        if hits + misses:
            print(f"{name:<11} {hits:>6} {misses:>7} {hits / (hits + misses):>9.1%}")
    print(f"{'all':<11} {total_hits:>6} {total - total_hits:>7} {total_hits / total:>9.1%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--listeners", type=int, default=60)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--median-return", type=float, default=300, help="s between sessions")
    parser.add_argument("--play-share", type=float, default=0.3, help="actions followed by a play")
    parser.add_argument("--edit-share", type=float, default=0.03, help="... by a playlist edit")
    parser.add_argument("--seed", type=int, default=7)
    asyncio.run(simulate(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
