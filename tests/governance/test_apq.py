"""Automatic persisted queries, Apollo protocol, through HTTP on the in-process store."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import bearer, operation
from tests.gateway.calls import CallMeter
from tests.governance.conftest import AppClient

pytestmark = pytest.mark.anyio

SEARCH = operation("Search")
SEARCH_SHA = hashlib.sha256(SEARCH.encode()).hexdigest()


def apq(sha: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def post(client: httpx.AsyncClient, body: dict[str, Any], **kw: Any) -> httpx.Response:
    return await client.post("/graphql", json=body, headers={**bearer("user-1"), **kw})


async def test_unknown_hash_alone_is_persisted_query_not_found_with_status_200(
    app_client: AppClient,
) -> None:
    async with app_client() as client:
        with CallMeter() as meter:
            r = await post(client, {"variables": {"q": "metalica"}, "extensions": apq(SEARCH_SHA)})
    assert r.status_code == 200
    assert r.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    assert meter.total == 0


async def test_hash_with_query_registers_it_then_the_hash_alone_runs_it(
    app_client: AppClient,
) -> None:
    async with app_client() as client:
        # given: Apollo's second attempt, hash and query
        first = await post(
            client, {"query": SEARCH, "variables": {"q": "metalica"}, "extensions": apq(SEARCH_SHA)}
        )
        # when: the next request sends the hash only
        again = await post(client, {"variables": {"q": "metalica"}, "extensions": apq(SEARCH_SHA)})
    # then: both answer the same data
    assert first.status_code == again.status_code == 200
    assert "errors" not in again.json()
    assert again.json()["data"] == first.json()["data"]
    assert again.json()["data"]["search"]["topResult"]["name"] == "Metallica"


async def test_hash_that_does_not_match_the_query_is_refused_and_not_stored(
    app_client: AppClient,
) -> None:
    wrong = "0" * 64
    async with app_client() as client:
        r = await post(client, {"query": SEARCH, "variables": {"q": "x"}, "extensions": apq(wrong)})
        after = await post(client, {"variables": {"q": "x"}, "extensions": apq(wrong)})
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "does not match" in r.json()["errors"][0]["message"]
    assert after.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extension",
    [
        {"version": 2, "sha256Hash": SEARCH_SHA},
        {"version": 1, "sha256Hash": "not-a-hash"},
        {"version": 1},
        "a string",
    ],
)
async def test_malformed_persisted_query_extension_is_400(
    app_client: AppClient, extension: object
) -> None:
    async with app_client() as client:
        r = await post(client, {"query": SEARCH, "extensions": {"persistedQuery": extension}})
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_get_with_the_hash_is_cacheable_by_a_cdn(app_client: AppClient) -> None:
    node = 'query Tiny { search(query: "metal") { artists(first: 2) { totalCount } } }'
    sha = hashlib.sha256(node.encode()).hexdigest()
    params = {"extensions": orjson.dumps(apq(sha)).decode()}
    async with app_client() as client:
        missing = await client.get("/graphql", params=params)
        await client.post("/graphql", json={"query": node, "extensions": apq(sha)})
        guest = await client.get("/graphql", params=params)
        signed_in = await client.get("/graphql", params=params, headers=bearer("user-1"))
    # A miss must not stick in a cache: the client registers the query right after.
    assert missing.status_code == 200
    assert missing.headers["cache-control"] == "no-store"
    assert guest.status_code == 200 and "errors" not in guest.json()
    assert guest.json()["data"]["search"]["artists"]["totalCount"] > 0
    # The schema's @cacheControl policy: search is PRIVATE (personal order), which for a
    # guest (no credentials, Vary: Authorization) is the same answer for everyone.
    assert guest.headers["cache-control"] == "public, max-age=300"
    assert "Authorization" in guest.headers["vary"].split(", ")
    assert signed_in.headers["cache-control"] == "private, max-age=300"


async def test_post_responses_carry_the_policy_too(app_client: AppClient) -> None:
    async with app_client() as client:
        r = await post(client, {"query": "{ home { greeting } }"})
    assert r.status_code == 200
    assert r.headers["cache-control"].startswith("private, max-age=")


async def test_with_apq_off_a_hash_alone_is_not_supported(app_client: AppClient) -> None:
    async with app_client(apq=False) as client:
        r = await post(client, {"extensions": apq(SEARCH_SHA)})
        plain = await post(client, {"query": SEARCH, "variables": {"q": "metal"}})
    assert r.status_code == 200
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert plain.status_code == 200 and "errors" not in plain.json()


async def test_store_is_bounded_least_recently_used_first(app_client: AppClient) -> None:
    queries = [f"query Q{i} {{ home {{ greeting }} }}" for i in range(3)]
    hashes = [hashlib.sha256(q.encode()).hexdigest() for q in queries]
    # The response cache would answer the evicted hash from a response it keeps.
    async with app_client(apq_cache_size=2, response_cache=False) as client:
        for q, h in zip(queries, hashes, strict=True):
            assert (await post(client, {"query": q, "extensions": apq(h)})).status_code == 200
        oldest = await post(client, {"extensions": apq(hashes[0])})
        newest = await post(client, {"extensions": apq(hashes[2])})
    assert oldest.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert newest.json()["data"]["home"]["greeting"]
