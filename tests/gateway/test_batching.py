"""Batching: a JSON array of operations in one POST, answered by an array in the same order,
each element what that operation alone would have answered (its errors and refusals
included), over one deadline and one set of DataLoaders, each operation charged its own
request and its own cost. The refusals of whole batches are in test_bad_requests.py; Apollo
Client's BatchHttpLink from Node is in test_batching_node.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from gateway.config import Settings
from gateway.governance.manifest import build_manifest
from resolvers.clients.scope import CallScope, current_scope
from resolvers.global_id import to_global_id
from tests.support.app import gateway_client
from tests.support.calls import CallMeter
from tests.support.graphql import document_hash, persisted_query
from tests.support.repo import OPERATIONS, operation
from tests.support.stakeholders import editorial_playlist, stakeholder_queries
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

ME = "{ me { id } }"
TINY = "{ home { greeting } }"
CREATE = "mutation($name: String!) { createPlaylist(input: {name: $name}) { playlist { name } } }"
HOME_MODEL = {
    "name": "home-model",
    "surface": "recommendations",
    "variants": [{"name": "control", "share": 0.0}, {"name": "svd", "share": 1.0}],
}


async def alone(
    client: httpx.AsyncClient, request: dict[str, Any], user: str = "user-1"
) -> dict[str, Any]:
    """What the operation answers when it comes on its own (whatever the HTTP status)."""
    response = await client.post("/graphql", json=request, headers=bearer(user))
    body: dict[str, Any] = response.json()
    return body


async def batch(
    client: httpx.AsyncClient, requests: list[dict[str, Any]], user: str = "user-1"
) -> list[dict[str, Any]]:
    response = await client.post("/graphql", json=requests, headers=bearer(user))
    assert response.status_code == 200, response.text
    answers: list[dict[str, Any]] = response.json()
    assert isinstance(answers, list)
    return answers


async def test_a_batch_of_the_stakeholder_queries_answers_each_as_it_would_alone(
    gateway_settings: Settings, data_dir: Path, listener: str
) -> None:
    # given a listener in an experiment, so Home's answer carries extensions of its own
    settings = gateway_settings.model_copy(update={"experiments": [HOME_MODEL]})
    requests = stakeholder_queries(data_dir)
    async with gateway_client(settings) as client:
        singles = [await alone(client, r, listener) for r in requests]
        # when the app sends them all in one request
        answers = await batch(client, requests, listener)
    # then each element is exactly the lone answer, in order, extensions included
    assert answers == singles
    assert all("errors" not in a for a in answers), answers
    # Home and Made for You rank with the experiment's model; the others never say so, even
    # next to them in one batch.
    served = [a["extensions"].get("experiments") for a in answers]
    assert served == [{"home-model": "svd"}, None, {"home-model": "svd"}, None, None, None]
    costs = [a["extensions"]["cost"]["requested"] for a in answers]
    assert costs == [1657, 280, 3416, 11, 1624, 348]


async def test_the_operations_of_a_batch_share_one_set_of_dataloaders(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    # given two operations that both need the same playlist, which no cache keeps between
    # requests (only the request's DataLoader does)
    node = {"query": operation("Node"), "variables": {"id": editorial_playlist(data_dir)}}
    # when they come as two requests at once, each has a DataLoader of its own
    with CallMeter() as apart:
        await asyncio.gather(alone(client, node), alone(client, node))
    # and in one batch, they share the request's: one backend call
    with CallMeter() as together:
        answers = await batch(client, [node, node])
    assert apart.calls["playlists"] == 2
    assert together.calls["playlists"] == 1
    assert answers[0] == answers[1] and answers[0]["data"]["node"]["__typename"] == "Playlist"


async def test_every_backend_call_of_a_batch_runs_under_the_one_request_deadline(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    scopes: list[CallScope | None] = []

    async def record(request: httpx.Request) -> None:
        scopes.append(current_scope())

    for http in client.app.state.http_clients.values():  # type: ignore[attr-defined]
        http.event_hooks["request"].append(record)
    requests = stakeholder_queries(data_dir)
    await batch(client, requests)
    first = scopes[0]
    assert first is not None and first.expires_at is not None
    assert len(scopes) > len(requests)
    assert all(s is first for s in scopes)
    # while a request of its own has a deadline of its own
    scopes.clear()
    await alone(client, requests[0])
    assert scopes and all(s is scopes[0] and s is not first for s in scopes)


async def test_a_refused_element_is_its_own_error_and_the_others_still_run(
    client: httpx.AsyncClient,
) -> None:
    search = operation("Search")
    requests: list[dict[str, Any]] = [
        {"query": ME},
        # an APQ hash the gateway has never seen
        {"extensions": persisted_query(document_hash(search)), "variables": {"q": "metalica"}},
        {"query": "{ me { id "},
        {"query": "{ me { password } }"},
        {"variables": {}},
        {"query": [ME]},
        {"query": ME, "variables": [1]},
        {"query": ME, "extensions": "x"},
        {"query": "query A { me { id } }", "operationName": "B"},
        {"query": search, "variables": {"q": 5}},
    ]
    singles = [await alone(client, r) for r in requests]
    with CallMeter() as meter:
        answers = await batch(client, requests)
    assert answers == singles
    assert answers[0]["data"]["me"]["id"]
    codes = [[e["extensions"]["code"] for e in a.get("errors", [])] for a in answers]
    assert codes == [
        [],
        ["PERSISTED_QUERY_NOT_FOUND"],
        ["GRAPHQL_PARSE_FAILED"],
        ["GRAPHQL_VALIDATION_FAILED"],
        ["BAD_REQUEST"],
        ["BAD_REQUEST"],
        ["BAD_REQUEST"],
        ["BAD_REQUEST"],
        ["BAD_REQUEST"],
        ["BAD_USER_INPUT"],
    ]
    assert meter.calls["search"] == 0


async def test_persisted_queries_are_resolved_per_element(client: httpx.AsyncClient) -> None:
    search = operation("Search")
    by_hash = {"extensions": persisted_query(document_hash(search)), "variables": {"q": "metalica"}}
    unknown = {
        "extensions": persisted_query(document_hash("{ me { id } } # never sent")),
        "variables": {},
    }
    # given a batch whose first element registers the query with its hash
    [registered] = await batch(client, [{**by_hash, "query": search}])
    # when the next batch sends that hash alone, next to one the gateway has never seen
    answers = await batch(client, [by_hash, unknown])
    # then the first runs as registered and only the second asks for its query
    assert answers[0] == registered and "errors" not in registered
    assert answers[1] == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }


async def test_with_trusted_documents_only_the_manifest_elements_run(
    gateway_settings: Settings, tmp_path: Path
) -> None:
    manifest = build_manifest(sorted(OPERATIONS.glob("*.graphql")))
    path = tmp_path / "manifest.json"
    path.write_bytes(orjson.dumps(manifest))
    node = next(op for op in manifest["operations"] if op["name"] == "Node")  # type: ignore[attr-defined]
    requests: list[dict[str, Any]] = [
        {"extensions": persisted_query(node["id"]), "variables": {"id": to_global_id("Track", 1)}},
        {"query": ME},
    ]
    async with gateway_client(
        gateway_settings.model_copy(update={"trusted_documents": path})
    ) as client:
        singles = [await alone(client, r) for r in requests]
        answers = await batch(client, requests)
    assert answers == singles
    assert answers[0]["data"]["node"]["id"] == to_global_id("Track", 1)
    assert answers[1]["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"


async def test_mutations_in_a_batch_over_post_run_and_answer_in_order(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    names = [f"batched-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    answers = await batch(
        client, [{"query": CREATE, "variables": {"name": name}} for name in names]
    )
    assert [a["data"]["createPlaylist"]["playlist"]["name"] for a in answers] == names
    with sqlite3.connect(data_dir / "crossfade.db") as conn:
        stored = {
            row[0]
            for row in conn.execute(
                f"SELECT name FROM playlists WHERE name IN ({','.join('?' * len(names))})", names
            )
        }
    assert stored == set(names)


async def test_a_batch_of_n_charges_n_requests_all_or_none(
    gateway_settings: Settings,
) -> None:
    # given a listener allowed 5 requests, with practically no refill during the test
    settings = gateway_settings.model_copy(
        update={"rate_limit_listener_rps": 0.001, "rate_limit_listener_burst": 5}
    )
    tiny = {"query": TINY}
    async with gateway_client(settings) as client:
        # a batch of 3 takes 3 of them
        first = await client.post("/graphql", json=[tiny] * 3, headers=bearer("user-1"))
        # a second batch of 3 does not fit in the 2 left: refused whole, nothing runs
        with CallMeter() as meter:
            refused = await client.post("/graphql", json=[tiny] * 3, headers=bearer("user-1"))
        # it still counts as the one request that arrived: one is left
        single = await client.post("/graphql", json=tiny, headers=bearer("user-1"))
        exhausted = await client.post("/graphql", json=tiny, headers=bearer("user-1"))
    assert first.status_code == 200 and len(first.json()) == 3
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    [error] = refused.json()["errors"]
    assert error["extensions"] == {
        "code": "RATE_LIMITED",
        "retryAfter": int(refused.headers["retry-after"]),
    }
    assert meter.total == 0
    assert single.status_code == 200
    assert exhausted.status_code == 429


async def test_each_operation_of_a_batch_is_charged_its_own_cost(
    gateway_settings: Settings, listener: str
) -> None:
    # given a cost bucket holding about one and a half Home screens (HomeFeed costs 1,657)
    settings = gateway_settings.model_copy(
        update={
            "rate_limit_listener_cost_ps": 0.001,
            "rate_limit_listener_cost_burst": 2500,
            "max_query_cost": 2500,
        }
    )
    home = {"query": operation("HomeFeed")}
    async with gateway_client(settings) as client:
        response = await client.post("/graphql", json=[home, home], headers=bearer(listener))
    # then one Home screen is served and the other is refused in its place; the batch is 200
    assert response.status_code == 200
    assert "retry-after" not in response.headers
    answers = response.json()
    served = [a for a in answers if "errors" not in a]
    refused = [a for a in answers if "errors" in a]
    assert len(served) == 1 and len(refused) == 1
    assert served[0]["data"]["home"]["sections"]["edges"]
    [error] = refused[0]["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED" and error["extensions"]["retryAfter"] >= 1
    assert refused[0]["data"] is None
    assert [a["extensions"]["cost"]["requested"] for a in answers] == [1657, 1657]


async def test_with_batching_off_an_array_is_a_bad_request(gateway_settings: Settings) -> None:
    async with gateway_client(gateway_settings.model_copy(update={"batch_max": 1})) as client:
        with CallMeter() as meter:
            response = await client.post("/graphql", json=[{"query": ME}], headers=bearer("user-1"))
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert error["message"].startswith("Batching is off here")
    assert meter.total == 0


async def test_a_batch_of_one_is_an_array_of_one(client: httpx.AsyncClient) -> None:
    single = await alone(client, {"query": TINY})
    assert await batch(client, [{"query": TINY}]) == [single]
