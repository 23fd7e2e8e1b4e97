"""Batch-built mixes (``crossfade mixes build``) served by the gateway without Spark: rows
written straight into a copy of the full store. They ride the listener's profile call, so a
listener with a batch result costs Home and Made for You no call of their own; they are
served only for this week and day, the listener's current explicit filter, and no
model-overriding experiment; a new batch run is picked up at the next request."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from backends.store import connect
from backends.store.mixes import GeneratedMix, Kind, replace_period
from gateway.config import Settings
from ranking.period import day_of, week_of
from resolvers.global_id import from_global_id
from tests.gateway.test_backend_calls import ENTITIES, PROFILE, endpoint_calls, started_gateway
from tests.support.graphql import execute, without_errors
from tests.support.repo import operation
from tests.support.store import copy_store

pytestmark = pytest.mark.anyio

LISTENER = 21
OTHER = 23  # its explicit filter changes after the run
SOURCES = """{ me { discoverWeekly { generatedAt generationSource snapshotId
                    tracks(first: 30) { edges { node { id } } } }
                  dailyMixes { name generatedAt generationSource
                    tracks(first: 50) { edges { node { id } } } } } }"""


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _catalog_tracks(db: Path, n: int, offset: int = 0) -> tuple[int, ...]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT id FROM tracks WHERE explicit = 0 ORDER BY id LIMIT ? OFFSET ?", (n, offset)
        )
        return tuple(r[0] for r in rows)


def write_batch(db: Path, *, generated_at: int, offset: int = 0) -> None:
    """A batch run's rows (it replaces the whole period) for ``LISTENER`` and ``OTHER``:
    lists no request would compute (the catalog's first clean tracks), so serving them
    proves they came from the store."""
    day = _today()
    tracks = _catalog_tracks(db, 130, offset)
    artists = (1, 2, 3)
    rows = [
        row
        for user in (LISTENER, OTHER)
        for row in (
            GeneratedMix(
                user, "discover_weekly", 1, week_of(day), "v", True, (), tracks[:30], generated_at
            ),
            GeneratedMix(
                user, "daily_mix", 1, day_of(day), "v", True, artists, tracks[30:80], generated_at
            ),
            GeneratedMix(
                user, "daily_mix", 2, day_of(day), "v", True, artists, tracks[80:130], generated_at
            ),
        )
    ]
    periods: dict[Kind, str] = {"discover_weekly": week_of(day), "daily_mix": day_of(day)}
    with closing(connect(db)) as conn:
        replace_period(conn, periods, rows)


@pytest.fixture(scope="module")
def batch_dir(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the full store whose listeners ``LISTENER`` and ``OTHER`` have batch mixes
    for today, built for listeners who allow explicit tracks."""
    copy = copy_store(data_dir, tmp_path_factory.mktemp("batch-served"))
    with sqlite3.connect(copy / "crossfade.db") as conn:
        conn.execute("UPDATE users SET explicit_filter = 0 WHERE id IN (?, ?)", (LISTENER, OTHER))
    write_batch(copy / "crossfade.db", generated_at=int(time.time() * 1000))
    return copy


@pytest.fixture
async def started(batch_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(batch_dir))
    # Every request executed: the response cache would answer a repeat with no profile call
    # (and a batch run's new rows only after its max-age).
    async with started_gateway(Settings(data_dir=batch_dir, response_cache=False)) as client:
        yield client


@contextmanager
def profile_params(client: Any) -> Iterator[list[dict[str, str]]]:
    """The query parameters of every ``/profile`` call the gateway sends in the block."""
    seen: list[dict[str, str]] = []

    async def hook(request: httpx.Request) -> None:
        if request.url.path == "/profile":
            seen.append(dict(request.url.params))

    http = client.app.state.http_clients["library"]
    http.event_hooks["request"].append(hook)
    try:
        yield seen
    finally:
        http.event_hooks["request"].remove(hook)


def _stored(db: Path, user_id: int) -> dict[tuple[str, int], tuple[int, ...]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT kind, position, track_ids FROM generated_mixes WHERE user_id = ?", (user_id,)
        )
        return {(kind, pos): tuple(json.loads(ids)) for kind, pos, ids in rows}


def _ids(playlist: dict[str, Any]) -> tuple[int, ...]:
    return tuple(int(from_global_id(e["node"]["id"])[1]) for e in playlist["tracks"]["edges"])


async def test_made_for_you_serves_the_batch_rows_in_the_calls_it_made_before(
    started: Any, batch_dir: Path
) -> None:
    # when a listener with a batch result opens Made for You
    with endpoint_calls(started) as calls:
        body = without_errors(await execute(started, SOURCES, user=f"user-{LISTENER}"))

    # then they get the stored lists, marked BATCH, with the run's time
    me = body["data"]["me"]
    stored = _stored(batch_dir / "crossfade.db", LISTENER)
    assert me["discoverWeekly"]["generationSource"] == "BATCH"
    assert _ids(me["discoverWeekly"]) == stored[("discover_weekly", 1)]
    assert [m["generationSource"] for m in me["dailyMixes"]] == ["BATCH", "BATCH"]
    assert [_ids(m) for m in me["dailyMixes"]] == [
        stored[("daily_mix", 1)],
        stored[("daily_mix", 2)],
    ]
    # from the one profile read (and one catalog read for the tracks)
    assert calls[PROFILE] == 1 and calls[ENTITIES] <= 1
    assert set(calls) <= {PROFILE, ENTITIES}


async def test_home_with_batch_mixes_costs_what_it_costs_without(started: Any) -> None:
    # when a listener with a batch result and one without open Home on a warm gateway
    with endpoint_calls(started) as with_batch:
        without_errors(await execute(started, operation("HomeFeed"), user=f"user-{LISTENER}"))
    with endpoint_calls(started) as without_batch:
        without_errors(await execute(started, operation("HomeFeed"), user="user-22"))

    # then both are their profile and at most one catalog read
    for calls in (with_batch, without_batch):
        assert calls[PROFILE] == 1 and calls[ENTITIES] <= 1
        assert set(calls) <= {PROFILE, ENTITIES}


async def test_the_rows_travel_again_only_when_a_run_rewrote_them(
    started: Any, batch_dir: Path
) -> None:
    user = f"user-{LISTENER}"
    db = batch_dir / "crossfade.db"
    with profile_params(started) as sent:
        first = without_errors(await execute(started, SOURCES, user=user))
        again = without_errors(await execute(started, SOURCES, user=user))
        # a new run for the same day, with other lists
        write_batch(db, generated_at=int(time.time() * 1000) + 1, offset=200)
        rerun = without_errors(await execute(started, SOURCES, user=user))

    today = _today()
    assert [p["mixes"] for p in sent] == [f"{week_of(today)},{day_of(today)}"] * 3
    # the second request held the rows: it named their version and got none back
    assert "mixes_since" in sent[1]
    assert again == first
    dw = rerun["data"]["me"]["discoverWeekly"]
    assert dw["generationSource"] == "BATCH"
    assert _ids(dw) == _stored(db, LISTENER)[("discover_weekly", 1)]
    assert dw["snapshotId"] != first["data"]["me"]["discoverWeekly"]["snapshotId"]


async def test_rows_built_for_another_explicit_filter_are_not_served(
    started: Any, batch_dir: Path
) -> None:
    with sqlite3.connect(batch_dir / "crossfade.db") as conn:
        # built for a listener who allowed explicit tracks, who now filters them out
        conn.execute("UPDATE users SET explicit_filter = 1 WHERE id = ?", (OTHER,))
    body = without_errors(await execute(started, SOURCES, user=f"user-{OTHER}"))

    me = body["data"]["me"]
    assert me["discoverWeekly"]["generationSource"] == "REQUEST_TIME"
    assert {m["generationSource"] for m in me["dailyMixes"]} == {"REQUEST_TIME"}
    # request-time mixes are stamped with the start of their week and day
    monday = _today() - dt.timedelta(days=_today().weekday())
    generated = dt.datetime.fromisoformat(me["discoverWeekly"]["generatedAt"])
    assert generated == dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)
