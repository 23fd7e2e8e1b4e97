"""Static query cost: computed before execution, reported in extensions, refused over the limit
with no backend call."""

from __future__ import annotations

import httpx
import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from gateway.governance.query_cost import operation_cost
from gateway.graphql_schema import build_schema
from tests.support.app import Gateway
from tests.support.calls import CallMeter
from tests.support.graphql import USER, execute, post
from tests.support.repo import OPERATIONS, operation

SCHEMA = build_schema()._schema
DEFAULT_LIMIT = 10_000

# The stakeholders' operations with their default variables; pinned so that a change of
# weights or of an operation shows up here, with the headroom under the default limit.
STAKEHOLDER_COSTS = {
    "HomeFeed": 1657,
    "Library": 280,
    "MadeForYou": 3416,
    "Node": 11,
    "Playlist": 1624,
    "CreatePlaylist": 25,
    "AddTracks": 29,
    "RemoveTracks": 29,
    "RecordPlay": 13,
    "Search": 348,
}


def cost(query: str, variables: dict[str, object] | None = None, name: str | None = None) -> int:
    document = parse(query)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    op = next(o for o in operations if name is None or (o.name and o.name.value == name))
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    return operation_cost(SCHEMA, op, fragments, variables, max_page_size=100)


def stakeholder_operations() -> dict[str, int]:
    costs: dict[str, int] = {}
    for path in sorted(OPERATIONS.glob("*.graphql")):
        document = parse(path.read_text())
        for op in document.definitions:
            if isinstance(op, OperationDefinitionNode) and op.name:
                costs[op.name.value] = cost(path.read_text(), name=op.name.value)
    return costs


def test_every_stakeholder_operation_fits_the_default_limit_with_headroom() -> None:
    from gateway.config import Settings

    assert Settings().max_query_cost == DEFAULT_LIMIT
    costs = stakeholder_operations()
    assert costs == STAKEHOLDER_COSTS
    assert max(costs.values()) * 2 < DEFAULT_LIMIT


def test_page_sizes_come_from_variables_and_their_defaults() -> None:
    home = operation("HomeFeed")
    assert cost(home) == cost(home, {"sections": 8, "items": 12})
    assert cost(home, {"sections": 2, "items": 3}) < cost(home) / 10
    # Absent `first`: the maximum page size, because that is what the client may get.
    no_first = "{ me { likedTracks { edges { node { id } } } } }"
    assert cost(no_first) == cost(no_first.replace("likedTracks", "likedTracks(first: 100)"))
    # Above the maximum the resolver refuses the request, so it costs what the maximum does.
    assert cost(operation("Library"), {"first": 1000}) == cost(operation("Library"), {"first": 100})


def test_edges_repeat_per_page_entry_but_total_count_does_not() -> None:
    one = '{ search(query: "a") { tracks(first: 1) { totalCount edges { node { id name } } } } }'
    ten = one.replace("first: 1", "first: 10")
    # search 20 + tracks 1 + totalCount 1 + edges 1 + N x (node 1 + id 1 + name 1)
    assert cost(one) == 20 + 1 + 1 + 1 + 3
    assert cost(ten) == 20 + 1 + 1 + 1 + 30


def test_only_the_dearest_fragment_of_an_abstract_type_counts() -> None:
    track_only = '{ node(id: "x") { ... on Track { name artists { name } } } }'
    both = '{ node(id: "x") { ... on Track { name artists { name } } ... on Artist { name } } }'
    assert cost(both) == cost(track_only) == 5 + 1 + (1 + 3 * 1)


def test_named_fragments_cost_what_inline_ones_do() -> None:
    inline = "{ me { id likedTracks(first: 5) { edges { node { id name } } } } }"
    named = (
        "query { me { ...Me } } fragment Me on User { id likedTracks(first: 5) { ...Page } } "
        "fragment Page on LikedTrackConnection { edges { node { id name } } }"
    )
    assert cost(named) == cost(inline)


def test_nodes_costs_per_id() -> None:
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    assert cost(query, {"ids": ["a"] * 10}) == 5 + 10 * 1
    assert cost(query, {"ids": ["a"] * 50}) == 5 + 50 * 1


@pytest.mark.anyio
async def test_cost_is_reported_in_the_response_extensions(client: httpx.AsyncClient) -> None:
    body = await execute(client, operation("HomeFeed"))
    assert "errors" not in body
    assert body["extensions"]["cost"] == {"requested": 1657, "limit": DEFAULT_LIMIT}


@pytest.mark.anyio
async def test_a_query_over_the_limit_is_refused_before_any_backend_call(
    gateway: Gateway,
) -> None:
    # given: every playlist of the listener with every track, artist and album: 100 x 100 rows
    greedy = """query Greedy { me { playlists(first: 100) { edges { node {
        tracks(first: 100) { edges { node { name artists { name } album { name } } } } } } } } }"""
    client = await gateway()
    with CallMeter() as meter:
        r = await post(client, {"query": greedy}, user=USER)
    # then
    assert r.status_code == 200
    body = r.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["limit"] == DEFAULT_LIMIT
    assert error["extensions"]["cost"] == body["extensions"]["cost"]["requested"] > DEFAULT_LIMIT
    assert meter.total == 0


@pytest.mark.anyio
async def test_the_limit_is_a_setting(gateway: Gateway) -> None:
    client = await gateway(max_query_cost=1000)
    with CallMeter() as meter:
        body = await execute(client, operation("HomeFeed"))
    small = await execute(client, operation("HomeFeed"), {"sections": 4, "items": 6})
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert meter.total == 0
    assert "errors" not in small and small["extensions"]["cost"]["limit"] == 1000


@pytest.mark.anyio
async def test_graphiql_introspection_fits_the_limit(client: httpx.AsyncClient) -> None:
    from graphql import get_introspection_query

    body = await execute(client, get_introspection_query())
    assert "errors" not in body, body.get("errors")
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
