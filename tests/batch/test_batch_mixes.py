"""Batch-built mixes: exactly the request-time lists for the same model version, history and
week, stored with their period and served by the gateway; new listeners get request-time."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from backends.names import BACKENDS
from backends.store import connect
from backends.store.mixes import read_mixes
from batch.mixes import MixesReport, listener_key
from ranking import RankingCore
from ranking.mixes import DAILY_MIX_SIZE, DISCOVER_WEEKLY_SIZE
from ranking.period import day_of, week_of
from resolvers.global_id import from_global_id
from tests.batch.conftest import BatchData, SparkModel
from tests.support.app import gateway_client
from tests.support.store import copy_store
from tests.support.tokens import bearer

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _histories(db: Any) -> dict[int, dict[int, float]]:
    with sqlite3.connect(db) as conn:
        ids = conn.execute("SELECT id FROM users")
        users: dict[int, dict[int, float]] = {u: {} for (u,) in ids}
        # The same numbers the library backend's /plays/counts answers the gateway with.
        rows = conn.execute("SELECT user_id, track_id, count(*) FROM plays GROUP BY 1, 2")
        for user, track, n in rows:
            users[user][track] = float(n)
    return users


def _explicit_filter(db: Any) -> dict[int, bool]:
    with sqlite3.connect(db) as conn:
        return {u: bool(f) for u, f in conn.execute("SELECT id, explicit_filter FROM users")}


def test_batch_equals_request_time_for_every_listener(
    batch_data: BatchData,
    spark_model: SparkModel,
    built_mixes: MixesReport,
    mixes_day: dt.date,
) -> None:
    core = RankingCore.load(batch_data.models, spark_model.version)
    year, week, _ = mixes_day.isocalendar()
    exported = pq.read_table(batch_data.export_dir / "users.parquet").column("id").to_pylist()
    histories = {u: h for u, h in _histories(batch_data.db).items() if u in set(exported)}
    filters = _explicit_filter(batch_data.db)
    conn = connect(batch_data.db, read_only=True)
    explicit = set(core.catalog.track_ids[core.catalog.explicit].tolist())
    ids, artists = core.catalog.track_ids.tolist(), core.catalog.primary_artist.tolist()
    artist_of = dict(zip(ids, artists, strict=True))

    assert built_mixes.listeners == len(histories)
    assert built_mixes.model_version == spark_model.version
    for user, history in histories.items():
        allow = not filters[user]
        stored = read_mixes(conn, user, [week_of(mixes_day), day_of(mixes_day)])
        (dw,) = [m for m in stored if m.kind == "discover_weekly"]
        daily = [m for m in stored if m.kind == "daily_mix"]
        request_dw = core.discover_weekly(
            history, listener_key(user), year, week, k=DISCOVER_WEEKLY_SIZE, allow_explicit=allow
        )
        request_daily = core.daily_mixes(history, allow_explicit=allow, size=DAILY_MIX_SIZE)

        assert list(dw.track_ids) == request_dw, user
        assert [(m.position, list(m.top_artist_ids), list(m.track_ids)) for m in daily] == [
            (m.index, m.top_artist_ids, m.track_ids) for m in request_daily
        ], user
        # The request-time rules, checked on the stored rows themselves.
        assert dw.model_version == spark_model.version and dw.allow_explicit == allow
        assert not set(dw.track_ids) & set(history)
        assert max(Counter(artist_of[t] for t in dw.track_ids).values()) <= 2
        if not allow:
            assert not explicit & {t for m in stored for t in m.track_ids}
    conn.close()


async def _mixes(client: httpx.AsyncClient, handle: str) -> dict[str, Any]:
    query = """{ me { discoverWeekly { generatedAt generationSource
                     tracks(first: 30) { edges { node { id } } } }
                   dailyMixes { generatedAt generationSource
                     tracks(first: 50) { totalCount } } } }"""
    response = await client.post("/graphql", json={"query": query}, headers=bearer(handle))
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    me: dict[str, Any] = body["data"]["me"]
    return me


@pytest.mark.anyio
async def test_gateway_serves_batch_mixes_and_request_time_for_a_new_listener(
    batch_data: BatchData,
    spark_model: SparkModel,
    built_mixes: MixesReport,
    mixes_day: dt.date,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from gateway.config import Settings
    from ranking.artifact import write_current

    if dt.datetime.now(dt.UTC).date() != mixes_day:
        pytest.skip("the UTC day changed since the batch ran")
    # A copy of the batch store (the export the other tests read stays its true image) with
    # a listener the batch never saw.
    data_dir = copy_store(batch_data.data_dir, tmp_path / "data")
    monkeypatch.setenv("CROSSFADE_DATA_DIR", str(data_dir))
    for name in BACKENDS:
        monkeypatch.delenv(f"CROSSFADE_{name.upper()}_URL", raising=False)
    write_current(batch_data.models, spark_model.version)
    with sqlite3.connect(data_dir / "crossfade.db") as conn:
        user = conn.execute("SELECT min(user_id) FROM plays").fetchone()[0]
        new = conn.execute("SELECT max(id) + 1 FROM users").fetchone()[0]
        conn.execute(
            "INSERT INTO users VALUES (?, 'New listener', 'SE', 'UTC', 0, 0, ?)",
            (new, int(time.time() * 1000)),
        )
    conn = connect(data_dir / "crossfade.db", read_only=True)
    stored = read_mixes(conn, user, [week_of(mixes_day), day_of(mixes_day)])
    conn.close()
    async with gateway_client(Settings(data_dir=data_dir)) as client:
        old = await _mixes(client, f"user-{user}")
        fresh = await _mixes(client, f"user-{new}")

    dw = old["discoverWeekly"]
    assert dw["generationSource"] == "BATCH"
    assert dt.datetime.fromisoformat(dw["generatedAt"]).timestamp() * 1000 == pytest.approx(
        stored[0].generated_at, abs=1
    )
    served = [int(from_global_id(e["node"]["id"])[1]) for e in dw["tracks"]["edges"]]
    assert served == list(next(m for m in stored if m.kind == "discover_weekly").track_ids)
    assert {m["generationSource"] for m in old["dailyMixes"]} == {"BATCH"}
    assert len(old["dailyMixes"]) == sum(m.kind == "daily_mix" for m in stored)
    assert fresh["discoverWeekly"]["generationSource"] == "REQUEST_TIME"
    assert len(fresh["discoverWeekly"]["tracks"]["edges"]) == DISCOVER_WEEKLY_SIZE
    assert {m["generationSource"] for m in fresh["dailyMixes"]} == {"REQUEST_TIME"}
