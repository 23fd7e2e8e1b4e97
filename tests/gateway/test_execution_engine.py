"""The execution engine a gateway runs: compiled plans by default, graphql-core's executor
when asked (``CROSSFADE_EXECUTOR``), and graphql-core's for what plans do not cover."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from gateway.cli import main
from gateway.graphql_schema import plan_cache
from tests.support.app import Gateway
from tests.support.engines import executions
from tests.support.graphql import execute
from tests.support.repo import OPERATIONS, operation

pytestmark = pytest.mark.anyio

INTROSPECTION = '{ __schema { queryType { name } } __type(name: "Track") { name } }'


async def test_trusted_documents_are_planned_at_start_up(gateway: Gateway, tmp_path: Path) -> None:
    # given a manifest of the stakeholders' operations
    manifest = tmp_path / "manifest.json"
    assert main(["persist", str(manifest), *map(str, sorted(OPERATIONS.glob("*.graphql")))]) == 0
    operations = orjson.loads(manifest.read_bytes())["operations"]
    # when a gateway starts with it
    client = await gateway(trusted_documents=manifest)
    plans = plan_cache(client.app.state.schema)
    # then every operation has its plan before any request
    assert plans is not None and len(plans) == len(operations)
    # and the first request runs it without planning anything new
    before = executions()
    home = next(op for op in operations if op["name"] == "HomeFeed")
    body = await execute(client, home["body"])
    assert "errors" not in body
    assert len(plans) == len(operations)
    assert executions()["compiled"] == before["compiled"] + 1


async def test_introspection_runs_through_graphql_core(gateway: Gateway) -> None:
    # given a gateway on compiled plans, and one on graphql-core's executor
    compiled = await gateway()
    standard = await gateway(executor="standard")
    # when each is asked for the schema's introspection
    before = executions()
    answer = await execute(compiled, INTROSPECTION)
    after = executions()
    # then the compiled gateway left it to graphql-core, and both answer the same
    assert after["standard"] == before["standard"] + 1
    assert after["compiled"] == before["compiled"]
    assert answer == await execute(standard, INTROSPECTION)
    assert answer["data"]["__type"] == {"name": "Track"}


async def test_the_standard_engine_is_graphql_cores_own(gateway: Gateway) -> None:
    # given a gateway with CROSSFADE_EXECUTOR=standard
    client = await gateway(executor="standard")
    # when it answers the Home screen
    before = executions()
    body = await execute(client, operation("HomeFeed"))
    # then it has no plans and ran none
    assert "errors" not in body
    assert plan_cache(client.app.state.schema) is None
    assert executions() == before
