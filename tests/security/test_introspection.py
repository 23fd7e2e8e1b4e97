"""Introspection and GraphiQL: on in development, off in production or when switched off."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.config import Settings

pytestmark = pytest.mark.anyio

INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_QUERY = '{ __type(name: "Playlist") { name } }'
HTML = {"accept": "text/html"}

Gateway = Callable[[Settings], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def gateway(settings_env: Path) -> AsyncIterator[Gateway]:
    from gateway.app import create_app

    clients: list[httpx.AsyncClient] = []

    async def build(settings: Settings) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings)),
            base_url="http://gateway.test",
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        await client.aclose()


async def query(client: httpx.AsyncClient, text: str) -> dict[str, Any]:
    r = await client.post("/graphql", json={"query": text})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_development_serves_introspection_and_graphiql(
    gateway: Gateway, settings_env: Path
) -> None:
    client = await gateway(Settings(data_dir=settings_env))
    body = await query(client, INTROSPECTION)
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


@pytest.mark.parametrize(
    "overrides",
    [{"introspection": False}, {"environment": "production", "jwt_secret": "s" * 40}],
    ids=["switched-off", "production-default"],
)
async def test_introspection_and_graphiql_are_off(
    gateway: Gateway, settings_env: Path, overrides: dict[str, Any]
) -> None:
    client = await gateway(Settings(data_dir=settings_env, **overrides))
    for text in (INTROSPECTION, TYPE_QUERY):
        body = await query(client, text)
        assert body.get("data") is None
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "introspection" in body["errors"][0]["message"].lower()
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 404
    assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # ordinary queries (and __typename, which clients add everywhere) still run
    assert (await query(client, "{ __typename }"))["data"] == {"__typename": "Query"}
    search = await query(client, '{ search(query: "love") { tracks { totalCount } } }')
    assert "errors" not in search


async def test_the_environment_variable_switches_it_off(
    gateway: Gateway, settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSFADE_INTROSPECTION", "false")
    settings = Settings(data_dir=settings_env)
    assert not settings.introspection_enabled and not settings.graphiql_enabled
    client = await gateway(settings)
    assert (await query(client, INTROSPECTION))["errors"]
    assert (await client.get("/graphql", headers=HTML)).status_code == 404


async def test_production_can_opt_back_in(gateway: Gateway, settings_env: Path) -> None:
    settings = Settings(
        data_dir=settings_env, environment="production", jwt_secret="s" * 40, introspection=True
    )
    client = await gateway(settings)
    body = await query(client, INTROSPECTION)
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
