"""Automatic persisted queries, Apollo protocol, through HTTP on the in-process store."""

from __future__ import annotations

import orjson
import pytest

from tests.support.app import Gateway
from tests.support.calls import CallMeter
from tests.support.graphql import USER, document_hash, persisted_query, post
from tests.support.repo import operation
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

SEARCH = operation("Search")
SEARCH_SHA = document_hash(SEARCH)


async def test_unknown_hash_alone_is_persisted_query_not_found_with_status_200(
    gateway: Gateway,
) -> None:
    client = await gateway()
    with CallMeter() as meter:
        r = await post(
            client,
            {"variables": {"q": "metalica"}, "extensions": persisted_query(SEARCH_SHA)},
            user=USER,
        )
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
    gateway: Gateway,
) -> None:
    client = await gateway()
    # given: Apollo's second attempt, hash and query
    first = await post(
        client,
        {
            "query": SEARCH,
            "variables": {"q": "metalica"},
            "extensions": persisted_query(SEARCH_SHA),
        },
        user=USER,
    )
    # when: the next request sends the hash only
    again = await post(
        client,
        {"variables": {"q": "metalica"}, "extensions": persisted_query(SEARCH_SHA)},
        user=USER,
    )
    # then: both answer the same data
    assert first.status_code == again.status_code == 200
    assert "errors" not in again.json()
    assert again.json()["data"] == first.json()["data"]
    assert again.json()["data"]["search"]["topResult"]["name"] == "Metallica"


async def test_hash_that_does_not_match_the_query_is_refused_and_not_stored(
    gateway: Gateway,
) -> None:
    wrong = "0" * 64
    client = await gateway()
    r = await post(
        client,
        {"query": SEARCH, "variables": {"q": "x"}, "extensions": persisted_query(wrong)},
        user=USER,
    )
    after = await post(
        client, {"variables": {"q": "x"}, "extensions": persisted_query(wrong)}, user=USER
    )
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
    gateway: Gateway, extension: object
) -> None:
    client = await gateway()
    r = await post(
        client, {"query": SEARCH, "extensions": {"persistedQuery": extension}}, user=USER
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_get_with_the_hash_is_cacheable_by_a_cdn(gateway: Gateway) -> None:
    node = 'query Tiny { search(query: "metal") { artists(first: 2) { totalCount } } }'
    sha = document_hash(node)
    params = {"extensions": orjson.dumps(persisted_query(sha)).decode()}
    client = await gateway()
    missing = await client.get("/graphql", params=params)
    await client.post("/graphql", json={"query": node, "extensions": persisted_query(sha)})
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


async def test_post_responses_carry_the_policy_too(gateway: Gateway) -> None:
    client = await gateway()
    r = await post(client, {"query": "{ home { greeting } }"}, user=USER)
    assert r.status_code == 200
    assert r.headers["cache-control"].startswith("private, max-age=")


async def test_with_apq_off_a_hash_alone_is_not_supported(gateway: Gateway) -> None:
    client = await gateway(apq=False)
    r = await post(client, {"extensions": persisted_query(SEARCH_SHA)}, user=USER)
    plain = await post(client, {"query": SEARCH, "variables": {"q": "metal"}}, user=USER)
    assert r.status_code == 200
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert plain.status_code == 200 and "errors" not in plain.json()


async def test_store_is_bounded_least_recently_used_first(gateway: Gateway) -> None:
    queries = [f"query Q{i} {{ home {{ greeting }} }}" for i in range(3)]
    hashes = [document_hash(q) for q in queries]
    # The response cache would answer the evicted hash from a response it keeps.
    client = await gateway(apq_cache_size=2, response_cache=False)
    for q, h in zip(queries, hashes, strict=True):
        assert (
            await post(client, {"query": q, "extensions": persisted_query(h)}, user=USER)
        ).status_code == 200
    oldest = await post(client, {"extensions": persisted_query(hashes[0])}, user=USER)
    newest = await post(client, {"extensions": persisted_query(hashes[2])}, user=USER)
    assert oldest.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert newest.json()["data"]["home"]["greeting"]
