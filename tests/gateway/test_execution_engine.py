"""The execution engine a gateway runs: compiled plans by default, graphql-core's executor
when asked (``CROSSFADE_EXECUTOR``), and graphql-core's for what plans do not cover."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from gateway.cli import main
from gateway.graphql_schema import plan_cache
from tests.conftest import OPERATIONS, bearer, operation
from tests.gateway.engines import executions

pytestmark = pytest.mark.anyio

INTROSPECTION = '{ __schema { queryType { name } } __type(name: "Track") { name } }'


@asynccontextmanager
async def gateway(settings: Any, **overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A gateway app with ``overrides`` over the session's data, and its schema."""
    from gateway.app import create_app

    app = create_app(settings.model_copy(update={"rate_limit": False, **overrides}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway.test"
    ) as client:
        yield client, app.state.schema
    for http in app.state.http_clients.values():
        await http.aclose()


async def ask(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer("user-1")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_trusted_documents_are_planned_at_start_up(
    gateway_settings: Any, tmp_path: Path
) -> None:
    # given a manifest of the stakeholders' operations
    manifest = tmp_path / "manifest.json"
    assert main(["persist", str(manifest), *map(str, sorted(OPERATIONS.glob("*.graphql")))]) == 0
    operations = orjson.loads(manifest.read_bytes())["operations"]
    # when a gateway starts with it
    async with gateway(gateway_settings, trusted_documents=manifest) as (client, schema):
        plans = plan_cache(schema)
        # then every operation has its plan before any request
        assert plans is not None and len(plans) == len(operations)
        # and the first request runs it without planning anything new
        before = executions()
        home = next(op for op in operations if op["name"] == "HomeFeed")
        body = await ask(client, home["body"])
        assert "errors" not in body
        assert len(plans) == len(operations)
        assert executions()["compiled"] == before["compiled"] + 1


async def test_introspection_runs_through_graphql_core(gateway_settings: Any) -> None:
    # given a gateway on compiled plans, and one on graphql-core's executor
    async with (
        gateway(gateway_settings) as (compiled, _),
        gateway(gateway_settings, executor="standard") as (standard, _),
    ):
        # when each is asked for the schema's introspection
        before = executions()
        answer = await ask(compiled, INTROSPECTION)
        after = executions()
        # then the compiled gateway left it to graphql-core, and both answer the same
        assert after["standard"] == before["standard"] + 1
        assert after["compiled"] == before["compiled"]
        assert answer == await ask(standard, INTROSPECTION)
        assert answer["data"]["__type"] == {"name": "Track"}


async def test_the_standard_engine_is_graphql_cores_own(gateway_settings: Any) -> None:
    # given a gateway with CROSSFADE_EXECUTOR=standard
    async with gateway(gateway_settings, executor="standard") as (client, schema):
        # when it answers the Home screen
        before = executions()
        body = await ask(client, operation("HomeFeed"))
        # then it has no plans and ran none
        assert "errors" not in body
        assert plan_cache(schema) is None
        assert executions() == before
