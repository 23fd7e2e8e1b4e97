"""A gateway counts every executed operation per schema coordinate and client, in memory, and
a flush adds the counts to its SQLite usage database."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse

import gateway.usage.usage_counter as usage_counter
from gateway.graphql_schema import build_schema
from gateway.usage.coordinates import operation_usage
from gateway.usage.sqlite_usage import SqliteUsage
from gateway.usage.usage_store import UsageWindow, hour_of
from tests.support.calls import CallMeter
from tests.support.repo import operation
from tests.support.usage import ARTIST_PAGE, client_headers
from tests.usage.conftest import UsageApp

pytestmark = pytest.mark.anyio

SCHEMA = build_schema()._schema
SEARCH = operation("Search")
ARTIST_ID = "QXJ0aXN0OjE="  # Artist:1
GREETING = "{ home { greeting } }"


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def written(usage_db: Path) -> bool:
    return usage_db.exists()


def recorded(usage_db: Path) -> set[tuple[str, str, str, str, int]]:
    """Everything the database holds for the current hour, as plain tuples."""
    window: UsageWindow = SqliteUsage(usage_db, retention_days=90).window(hour_of(0))
    return {(t.client, t.version, t.operation, t.coordinate, t.count) for t in window.totals}


def expected(
    query: str, client: str, version: str, count: int, name: str | None = None
) -> set[tuple[str, str, str, str, int]]:
    usage = operation_usage(SCHEMA, parse(query), name)
    assert usage is not None
    return {(client, version, usage.name, c, count) for c in usage.coordinates}


async def test_executed_operations_are_counted_per_coordinate_client_and_operation(
    usage_app: UsageApp, usage_db: Path
) -> None:
    async with usage_app(max_query_cost=1000) as client:
        # given three clients: a versioned Apollo client, one naming itself by x-client-name,
        # and one naming nobody
        ios = client_headers("ios", "3.2.0")
        for _ in range(3):
            assert "errors" not in await post(client, SEARCH, {"q": "metal"}, ios)
        for _ in range(2):
            body = await post(client, ARTIST_PAGE, {"id": ARTIST_ID}, {"x-client-name": "web"})
            assert body["data"]["node"]["genres"]
        assert "errors" not in await post(client, GREETING)
        # and operations that never execute: invalid, unparsable, too costly
        assert "errors" in await post(client, "{ nope }", headers=ios)
        assert "errors" in await post(client, "{ home {", headers=ios)
        too_costly = await post(client, operation("HomeFeed"), headers=ios)
        assert too_costly["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        # and a client name that is no plain name
        assert "errors" not in await post(client, GREETING, headers={"x-client-name": "a\tb"})
        assert not written(usage_db)  # nothing is written until a flush
        # when the counts are flushed
        with CallMeter() as meter:
            await client.app.state.usage.flush()
    # then each executed operation counted once per coordinate it uses, and nothing else;
    # the flush reached no backend
    assert recorded(usage_db) == (
        expected(SEARCH, "ios", "3.2.0", 3)
        | expected(ARTIST_PAGE, "web", "", 2)
        | expected(GREETING, "unnamed", "", 1)
        | expected(GREETING, "invalid", "", 1)
    )
    assert meter.total == 0


async def test_flushes_add_up_and_an_empty_flush_writes_nothing(
    usage_app: UsageApp, usage_db: Path
) -> None:
    async with usage_app() as client:
        counter = client.app.state.usage
        await counter.flush()
        assert not written(usage_db)
        await post(client, GREETING, headers=client_headers("web"))
        await counter.flush()
        await post(client, GREETING, headers=client_headers("web"))
        await post(client, GREETING, headers=client_headers("web"))
        await counter.flush()
    assert recorded(usage_db) == expected(GREETING, "web", "", 3)


async def test_coordinates_are_computed_once_per_document_and_operation(
    usage_app: UsageApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    walks: list[str | None] = []
    real = operation_usage

    def counted(schema: Any, document: Any, name: str | None) -> Any:
        walks.append(name)
        return real(schema, document, name)

    monkeypatch.setattr(usage_counter, "operation_usage", counted)
    document = f"{ARTIST_PAGE}\nquery Greeting {{ home {{ greeting }} }}"
    async with usage_app() as client:
        for _ in range(20):
            for name in ("ArtistPage", "Greeting"):
                response = await client.post(
                    "/graphql",
                    json={"query": document, "variables": {"id": ARTIST_ID}, "operationName": name},
                )
                assert "errors" not in response.json()
    assert walks == ["ArtistPage", "Greeting"]


async def test_past_the_key_limit_new_clients_are_counted_as_overflow(
    usage_app: UsageApp, usage_db: Path
) -> None:
    async with usage_app(usage_max_keys=2) as client:
        for name in ("web", "ios", "android", "tv", "web"):
            await post(client, GREETING, headers=client_headers(name))
        await client.app.state.usage.flush()
    assert recorded(usage_db) == (
        expected(GREETING, "web", "", 2)
        | expected(GREETING, "ios", "", 1)
        | expected(GREETING, "(overflow)", "", 2)
    )


async def test_a_failed_flush_keeps_the_counts_for_the_next_one(
    usage_app: UsageApp, usage_db: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # given a usage database that cannot be written (its directory is a file)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    async with usage_app(usage_db=blocked / "usage.db") as client:
        counter = client.app.state.usage
        await post(client, GREETING, headers=client_headers("web"))
        with caplog.at_level(logging.WARNING, logger="crossfade.usage"):
            await counter.flush()
        assert "usage flush failed, kept for the next one" in caplog.text
        # when the store is back and more was counted
        counter.sink.path = usage_db
        await post(client, GREETING, headers=client_headers("web"))
        await counter.flush()
        await counter.flush()
    # then both requests are there, once each
    assert recorded(usage_db) == expected(GREETING, "web", "", 2)


async def test_usage_off_counts_nothing(usage_app: UsageApp, usage_db: Path) -> None:
    async with usage_app(usage=False) as client:
        assert client.app.state.usage is None
        assert "errors" not in await post(client, GREETING)
    assert not written(usage_db)


async def test_a_response_cache_hit_is_not_counted(usage_app: UsageApp, usage_db: Path) -> None:
    # Usage counts executions, and a hit runs nothing (README, Response cache).
    async with usage_app(response_cache=True) as client:
        answers = [
            await client.post(
                "/graphql",
                json={"query": SEARCH, "variables": {"q": "metal"}},
                headers=client_headers("web"),
            )
            for _ in range(3)
        ]
        await client.app.state.usage.flush()
    assert [a.headers["x-cache"] for a in answers] == ["miss", "hit", "hit"]
    assert recorded(usage_db) == expected(SEARCH, "web", "", 1)
