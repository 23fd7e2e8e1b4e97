"""Introspection and GraphiQL: on in development, off in production or when switched off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.config import Settings
from tests.support.app import Gateway
from tests.support.graphql import execute

pytestmark = pytest.mark.anyio

INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE_QUERY = '{ __type(name: "Playlist") { name } }'
HTML = {"accept": "text/html"}


async def test_development_serves_introspection_and_graphiql(gateway: Gateway) -> None:
    client = await gateway()
    body = await execute(client, INTROSPECTION, user=None)
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


@pytest.mark.parametrize(
    "overrides",
    [{"introspection": False}, {"environment": "production", "jwt_secret": "s" * 40}],
    ids=["switched-off", "production-default"],
)
async def test_introspection_and_graphiql_are_off(
    gateway: Gateway, overrides: dict[str, Any]
) -> None:
    client = await gateway(**overrides)
    for text in (INTROSPECTION, TYPE_QUERY):
        body = await execute(client, text, user=None)
        assert body.get("data") is None
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "introspection" in body["errors"][0]["message"].lower()
    page = await client.get("/graphql", headers=HTML)
    assert page.status_code == 404
    assert page.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # ordinary queries (and __typename, which clients add everywhere) still run
    assert (await execute(client, "{ __typename }", user=None))["data"] == {"__typename": "Query"}
    search = await execute(client, '{ search(query: "love") { tracks { totalCount } } }', user=None)
    assert "errors" not in search


async def test_the_environment_variable_switches_it_off(
    gateway: Gateway, settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSFADE_INTROSPECTION", "false")
    settings = Settings(data_dir=settings_env)
    assert not settings.introspection_enabled and not settings.graphiql_enabled
    client = await gateway()
    assert (await execute(client, INTROSPECTION, user=None))["errors"]
    assert (await client.get("/graphql", headers=HTML)).status_code == 404


async def test_production_can_opt_back_in(gateway: Gateway) -> None:
    client = await gateway(environment="production", jwt_secret="s" * 40, introspection=True)
    body = await execute(client, INTROSPECTION, user=None)
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
