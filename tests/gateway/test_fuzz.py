"""Property-based fuzzing of the whole schema: no request makes the gateway fail.

schemathesis's GraphQL support (hypothesis-graphql underneath) reads the committed SDL and
generates, for every root field of Query and Mutation, documents with random selections and
arguments: valid ones (positive mode) and ones that break the argument types (negative
mode). They go through the real ASGI app in-process, as a signed-in listener, over a
private copy of the store so the mutations touch nothing other tests read. IDs are drawn
from real objects of every type, forged IDs and noise, so the fuzzing reaches the backends.

Bounded for CI: ``FUZZ_EXAMPLES`` per operation and mode, derandomized (the same examples
every run). ``CROSSFADE_FUZZ_EXAMPLES=500 CROSSFADE_FUZZ_RANDOM=1`` fuzzes deeper locally.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.graphql import nodes
from schemathesis.schemas import APIOperation

from gateway.config import Settings
from resolvers.global_id import NODE_TYPES, to_global_id
from tests.support.app import gateway_client
from tests.support.repo import SDL
from tests.support.store import STORE, copy_store
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

FUZZ_EXAMPLES = int(os.environ.get("CROSSFADE_FUZZ_EXAMPLES", "15"))
FUZZER = "user-9"
# Filled by the `fuzz_client` fixture before the first example is drawn.
KNOWN_IDS: list[str] = []


def _ids() -> st.SearchStrategy[Any]:
    known = st.deferred(lambda: st.sampled_from(KNOWN_IDS))
    forged = st.builds(
        to_global_id,
        st.sampled_from([*NODE_TYPES, "HomeSection", "Nope", ""]),
        st.one_of(st.integers(-(2**70), 2**70), st.text(max_size=24)),
    )
    return st.one_of(known, known, forged, st.text(max_size=32)).map(nodes.String)


schemathesis.graphql.scalar("ID", _ids())
SCHEMA = schemathesis.graphql.from_path(SDL)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]  # type: ignore[union-attr]


def _known_ids(db: Path) -> list[str]:
    """Real objects of every node type, the fuzzer's own playlists and mixes first."""
    fuzzer_id = int(FUZZER.removeprefix("user-"))
    with sqlite3.connect(db) as conn:

        def keys(sql: str, *args: object) -> list[int]:
            return [row[0] for row in conn.execute(sql, args)]

        owned = keys("SELECT id FROM playlists WHERE owner_id = ? LIMIT 3", fuzzer_id)
        others = keys("SELECT id FROM playlists WHERE owner_id != ? LIMIT 3", fuzzer_id)
        editorial = keys("SELECT id FROM playlists WHERE kind = 'editorial' LIMIT 2")
        tracks = keys("SELECT id FROM tracks ORDER BY popularity DESC LIMIT 8")
        artists = keys("SELECT id FROM artists LIMIT 3")
        albums = keys("SELECT id FROM albums LIMIT 3")
    assert owned, f"{FUZZER} owns no playlist in the simulated data"
    return [
        *(to_global_id("Playlist", k) for k in owned + others + editorial),
        to_global_id("Playlist", f"discover-weekly:{FUZZER}"),
        to_global_id("Playlist", f"daily-mix-1:{FUZZER}"),
        *(to_global_id("Track", k) for k in tracks),
        *(to_global_id("Artist", k) for k in artists),
        *(to_global_id("Album", k) for k in albums),
        to_global_id("User", fuzzer_id),
        to_global_id("User", 1),
    ]


@pytest.fixture(scope="module")
async def fuzz_client(
    data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    store = copy_store(data_dir, tmp_path_factory.mktemp("fuzz-store"))
    KNOWN_IDS[:] = _known_ids(store / STORE)
    settings = Settings(
        data_dir=store, catalog_url=None, library_url=None, playlists_url=None, search_url=None
    )
    async with gateway_client(settings) as client:
        yield client


def _failures(response: httpx.Response, document: str) -> list[str]:
    """What is wrong with the answer to ``document``, if anything."""
    context = f"{response.status_code} for:\n{document}\n{response.text[:2000]}"
    if response.status_code >= 500 or "Traceback" in response.text:
        return [context]
    codes = [(e.get("extensions") or {}).get("code") for e in response.json().get("errors", [])]
    if None in codes or "INTERNAL_SERVER_ERROR" in codes:
        return [context]
    return []


def _generate(operation: APIOperation[Any, Any, Any, Any], mode: GenerationMode) -> list[str]:
    """Documents for one root field. Drawn up front, in a plain function: a draw that runs
    out of budget raises Hypothesis's StopTest, which the async test runner does not
    survive."""
    documents: list[str] = []

    @settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=os.environ.get("CROSSFADE_FUZZ_RANDOM") is None,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        documents.append(case.body)

    collect()
    return documents


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
async def test_no_generated_operation_fails_the_gateway(
    fuzz_client: httpx.AsyncClient,
    operation: APIOperation[Any, Any, Any, Any],
    mode: GenerationMode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given documents generated from the schema for this root field
    documents = _generate(operation, mode)
    assert documents
    caplog.set_level(logging.INFO)
    # when each is sent as the fuzzing listener
    failures = []
    for document in documents:
        response = await fuzz_client.post(
            "/graphql", json={"query": document}, headers=bearer(FUZZER)
        )
        failures += _failures(response, document)
    # then none fails the gateway, and nothing is logged as a server error
    assert failures == [], "\n\n".join(failures[:5])
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], errors
