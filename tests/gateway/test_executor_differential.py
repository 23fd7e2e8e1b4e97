"""Both engines answer alike: compiled plans (gateway/execution/) against graphql-core's executor.

Two gateways run side by side over the real in-process backends, one per engine
(``CROSSFADE_EXECUTOR``), each on its own copy of the store so that edits stay in step. Every
request goes to both, and the two answers must be the same bytes: status, ``data``, ``errors``
in order, and ``extensions``.

- Every stakeholder operation (schema/operations/), for listeners and guests, each with its
  own variables: pages (bad ones too), cursors, search terms, IDs of every kind (forged ones
  too), and the playlist edits; 200 listeners in the slow test.
- Queries generated over the whole schema by hypothesis-graphql, with random arguments (bad
  page sizes and cursors mid-tree), against healthy backends and against backends made to
  fail every call (``CROSSFADE_<NAME>_INJECT_ERROR_RATE=1``) or to send garbled answers:
  errors in non-null positions, whose null propagates up the tree; 2,000 in the slow test.
- Hand-written documents that fail mid-tree (lists of non-null items, batch forms, aliases,
  fragments, @skip/@include, variables), with healthy and failing backends.

Graphql-core's own answer is not always the same twice: when two backend calls fail under one
nullable parent, the first to land decides which error is reported, and the in-process
backends answer from a thread pool. A read whose answers differ is asked again (of both
engines), and the count of those is printed with the share of executions that really ran a
compiled plan (a comparison of graphql-core with itself would prove nothing).

Generated queries take seconds to draw: they are drawn once (derandomized) and kept in
pytest's cache. ``CROSSFADE_DIFFERENTIAL_EXAMPLES`` sets how many the slow test runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from gateway.config import Settings
from resolvers.global_id import to_global_id
from tests.support.app import GatewayClient, gateway_client
from tests.support.engines import CompiledShare
from tests.support.repo import SDL, operation
from tests.support.store import TEST_LISTENERS, copy_store
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

LISTENERS_FAST = 40
LISTENERS = 200
GENERATED_FAST = 300
GENERATED = int(os.environ.get("CROSSFADE_DIFFERENTIAL_EXAMPLES", "2000"))
# Backends set to fail: every call errors (503), or every answer is cut short.
FAULTS: dict[str, dict[str, str]] = {
    "healthy": {},
    "catalog down": {"CROSSFADE_CATALOG_INJECT_ERROR_RATE": "1"},
    "library down": {"CROSSFADE_LIBRARY_INJECT_ERROR_RATE": "1"},
    "playlists down": {"CROSSFADE_PLAYLISTS_INJECT_ERROR_RATE": "1"},
    "search down": {"CROSSFADE_SEARCH_INJECT_ERROR_RATE": "1"},
    "catalog garbled": {"CROSSFADE_CATALOG_INJECT_MALFORMED_RATE": "1"},
}
RETRIES = 5
SEARCH_TERMS = ["metalica", "love", "the", "queen", "ed sheeran", "zzzz", "a", "", "x" * 300]


@dataclass
class Twin:
    """The same gateway twice: graphql-core's executor, and compiled plans."""

    standard: GatewayClient
    compiled: GatewayClient
    # Against failing backends, a cached copy would answer instead: every request starts
    # from empty caches. Healthy, cached data is the backends' data, except right after an
    # edit (one engine may hold the playlist from before it): caches are emptied then.
    cold: bool
    asked: int = 0
    raced: int = 0  # reads that differed at first, and agreed when asked again
    sent: int = 0  # requests to each engine, repeats included

    async def ask(
        self, body: dict[str, Any], headers: dict[str, str] | None = None, *, edit: bool = False
    ) -> None:
        """Send ``body`` to both engines and require the same answer.

        Which of two failing backend calls lands first is a race between the in-process
        backends' threads, and graphql-core's own answer changes with it (the first error
        nulls the parent, the second is dropped). So a read whose answers differ is asked
        again, of both: the compiled answer must be one graphql-core gives too.
        """
        self.asked += 1
        first: str | None = None
        for _ in range(1 if edit else RETRIES):
            standard, compiled = await self._both(body, headers, edit)
            if (standard.status_code, standard.content) == (compiled.status_code, compiled.content):
                if first is not None:
                    self.raced += 1
                return
            first = first or _difference(body, standard, compiled)
        raise AssertionError(first)

    async def _both(
        self, body: dict[str, Any], headers: dict[str, str] | None, edit: bool
    ) -> tuple[httpx.Response, httpx.Response]:
        self.sent += 1
        headers = {**(headers or {}), "x-request-id": f"differential-{self.sent}"}
        answers = []
        for client in (self.standard, self.compiled):
            if self.cold:
                client.app.state.services.clients.clear_caches()
            answers.append(await client.post("/graphql", json=body, headers=headers))
            if edit:
                client.app.state.services.clients.clear_caches()
        return answers[0], answers[1]


def _difference(body: dict[str, Any], standard: httpx.Response, compiled: httpx.Response) -> str:
    def show(response: httpx.Response) -> str:
        try:
            return json.dumps(response.json(), indent=1, ensure_ascii=False)[:6000]
        except ValueError:
            return response.text[:6000]

    return (
        f"the engines disagree on\n{json.dumps(body, ensure_ascii=False)}\n"
        f"--- standard ({standard.status_code})\n{show(standard)}\n"
        f"--- compiled ({compiled.status_code})\n{show(compiled)}"
    )


@pytest.fixture
def stores(data_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the store per engine: the edits one engine makes, the other makes too.

    Fresh for every test: an edit is stamped with each backend's own clock, milliseconds
    apart, so a playlist edited in one test would show two `addedAt`s in the next."""
    return (
        copy_store(data_dir, tmp_path / "standard-store"),
        copy_store(data_dir, tmp_path / "compiled-store"),
    )


@asynccontextmanager
async def twin(stores: tuple[Path, Path], faults: dict[str, str]) -> AsyncIterator[Twin]:
    async with AsyncExitStack() as opened:
        clients: list[GatewayClient] = []
        with pytest.MonkeyPatch.context() as env:
            for name, value in faults.items():
                env.setenv(name, value)  # read by the in-process backends as they are built
            for store, engine in zip(stores, ("standard", "compiled"), strict=True):
                settings = Settings(
                    data_dir=store,
                    catalog_url=None,
                    library_url=None,
                    playlists_url=None,
                    search_url=None,
                    executor=engine,
                    rate_limit=False,
                    # Every request executed: a response cache hit would compare one
                    # execution's bytes with themselves.
                    response_cache=False,
                    # One attempt per call and no breaker: a failing backend fails each call
                    # alike, whatever the number of calls an engine makes; and no timeouts on
                    # a busy machine.
                    backend_max_attempts=1,
                    breaker_failures=1_000_000,
                    backend_timeout_s=60.0,
                    request_deadline_s=120.0,
                )
                clients.append(await opened.enter_async_context(gateway_client(settings)))
        for client in clients:
            client.app.state.services.ranking.reload()
        yield Twin(clients[0], clients[1], cold=bool(faults))


@dataclass(frozen=True)
class Known:
    """Real objects of the store, to aim variables and generated IDs at."""

    playlists: dict[int, list[int]]  # owner → their playlists
    public: list[int]
    editorial: list[int]
    tracks: list[int]
    artists: list[int]
    albums: list[int]

    def ids(self) -> list[str]:
        return [
            *(to_global_id("Playlist", p) for p in self.public[:4] + self.editorial[:3]),
            *(to_global_id("Playlist", p) for ps in list(self.playlists.values())[:3] for p in ps),
            to_global_id("Playlist", "discover-weekly:user-9"),
            to_global_id("Playlist", "daily-mix-1:user-9"),
            *(to_global_id("Track", t) for t in self.tracks[:6]),
            *(to_global_id("Artist", a) for a in self.artists[:3]),
            *(to_global_id("Album", a) for a in self.albums[:3]),
            to_global_id("User", 9),
            to_global_id("User", 1),
        ]


@pytest.fixture(scope="module")
def known(data_dir: Path) -> Known:
    with sqlite3.connect(data_dir / "crossfade.db") as db:

        def keys(sql: str) -> list[int]:
            return [row[0] for row in db.execute(sql)]

        owned: dict[int, list[int]] = {}
        for owner, pid in db.execute(
            "SELECT owner_id, id FROM playlists WHERE owner_id IS NOT NULL ORDER BY owner_id, id"
        ):
            owned.setdefault(owner, []).append(pid)
        return Known(
            playlists=owned,
            public=keys("SELECT id FROM playlists WHERE public = 1 AND kind = 'user' LIMIT 20"),
            editorial=keys("SELECT id FROM playlists WHERE kind = 'editorial' LIMIT 20"),
            tracks=keys("SELECT id FROM tracks ORDER BY popularity DESC LIMIT 50"),
            artists=keys("SELECT id FROM artists ORDER BY id LIMIT 20"),
            albums=keys("SELECT id FROM albums ORDER BY id LIMIT 20"),
        )


# -- the stakeholders' operations ------------------------------------------------------------


def stakeholder_requests(listener: int, known: Known) -> Iterator[tuple[dict[str, Any], bool]]:
    """(request body, signed in?) for one listener: every read operation, own variables."""
    rng = random.Random(listener)
    handle = f"user-{listener}"
    own = known.playlists.get(listener, [])
    playlist_ids = [
        *(to_global_id("Playlist", p) for p in own[:2]),
        to_global_id("Playlist", rng.choice(known.public)),
        to_global_id("Playlist", rng.choice(known.editorial)),
        to_global_id("Playlist", f"discover-weekly:{handle}"),
        to_global_id("Playlist", f"daily-mix-{rng.randint(1, 3)}:{handle}"),
        to_global_id("Playlist", rng.randint(10**6, 10**7)),
        to_global_id("Track", rng.choice(known.tracks)),
        "not-an-id",
    ]
    node_ids = [
        to_global_id("Track", rng.choice(known.tracks)),
        to_global_id("Artist", rng.choice(known.artists)),
        to_global_id("Album", rng.choice(known.albums)),
        rng.choice(playlist_ids),
        to_global_id("User", rng.randint(1, TEST_LISTENERS + 5)),
        to_global_id("HomeSection", "popular"),
    ]

    def maybe(**variables: Any) -> dict[str, Any]:
        return variables if rng.random() < 0.7 else {}

    yield (
        {
            "query": operation("HomeFeed"),
            "variables": maybe(
                sections=rng.randint(0, 10), items=rng.choice([0, 1, 5, 12, 20, 101])
            ),
        },
        True,
    )
    yield {"query": operation("Library"), "variables": maybe(first=rng.randint(0, 30))}, True
    yield {"query": operation("MadeForYou")}, True
    yield (
        {
            "query": operation("Search"),
            "variables": {
                "q": rng.choice(SEARCH_TERMS),
                **maybe(first=rng.choice([0, 1, 3, 10, 50, -1])),
            },
        },
        True,
    )
    after = rng.choice([None, "bm90LWEtY3Vyc29y", None, "MA=="])
    yield (
        {
            "query": operation("Playlist"),
            "variables": {
                "id": rng.choice(playlist_ids),
                **maybe(first=rng.choice([1, 5, 100, 0, 500]), after=after),
            },
        },
        True,
    )
    yield {"query": operation("Node"), "variables": {"id": rng.choice(node_ids)}}, True
    # What a guest sees of the same screens.
    yield {"query": operation("HomeFeed")}, False
    yield {"query": operation("Search"), "variables": {"q": rng.choice(SEARCH_TERMS)}}, False


def edits(listener: int, known: Known) -> Iterator[dict[str, Any]]:
    """The playlist edits as a client makes them (schema/operations/PlaylistEdits.graphql)."""
    rng = random.Random(-listener)
    edit = operation("PlaylistEdits")
    tracks = [to_global_id("Track", t) for t in rng.sample(known.tracks, 3)]
    own = known.playlists.get(listener) or known.public[:1]
    target = to_global_id("Playlist", own[0])
    yield {
        "query": edit,
        "operationName": "CreatePlaylist",
        "variables": {"name": f"Differential {listener}", "public": rng.random() < 0.5},
    }
    yield {
        "query": edit,
        "operationName": "AddTracks",
        "variables": {
            "playlistId": target,
            "trackIds": tracks,
            "idempotencyKey": f"k-{listener}",
            "expectedSnapshotId": rng.choice([None, "stale"]),
        },
    }
    yield {
        "query": edit,
        "operationName": "RemoveTracks",
        "variables": {"playlistId": target, "trackIds": tracks[:1]},
    }
    yield {"query": edit, "operationName": "RecordPlay", "variables": {"trackId": tracks[2]}}


@dataclass
class Tally:
    asked: int = 0
    raced: int = 0
    share: CompiledShare | None = None

    def add(self, gateways: Twin) -> None:
        self.asked += gateways.asked
        self.raced += gateways.raced

    def report(self, what: str) -> str:
        assert self.share is not None
        return (
            f"{self.asked} {what}: {self.asked - self.raced} the same at once, {self.raced} "
            f"after a repeat (a race graphql-core answers both ways); executions: "
            f"{self.share.compiled:.0f} compiled, {self.share.fallback:.0f} graphql-core"
        )


async def stakeholder_operations(
    stores: tuple[Path, Path], known: Known, listeners: range
) -> Tally:
    tally = Tally()
    async with twin(stores, FAULTS["healthy"]) as gateways:
        with CompiledShare() as tally.share:
            for listener in listeners:
                for body, signed_in in stakeholder_requests(listener, known):
                    await gateways.ask(body, bearer(f"user-{listener}") if signed_in else None)
                # and every fourth one edits a playlist
                if listener % 4 == 0:
                    for body in edits(listener, known):
                        await gateways.ask(body, bearer(f"user-{listener}"), edit=True)
        tally.add(gateways)
    print("\n" + tally.report("stakeholder requests"))
    return tally


async def test_every_stakeholder_operation_answers_the_same(
    stores: tuple[Path, Path], known: Known
) -> None:
    # given both engines over healthy backends
    # when listeners (and guests) open every screen with their own variables, and edit
    tally = await stakeholder_operations(stores, known, range(1, LISTENERS_FAST + 1))
    # then each answer was the same, and each ran a compiled plan (a few ask too much and
    # are refused before execution)
    assert tally.asked >= LISTENERS_FAST * 8
    assert tally.share is not None and tally.share.fallback == 0
    assert tally.share.compiled >= 0.9 * tally.asked


@pytest.mark.slow
async def test_every_stakeholder_operation_answers_the_same_for_200_listeners(
    stores: tuple[Path, Path], known: Known
) -> None:
    tally = await stakeholder_operations(stores, known, range(1, LISTENERS + 1))
    assert tally.asked >= LISTENERS * 8
    assert tally.share is not None and tally.share.fallback == 0
    assert tally.share.compiled >= 0.9 * tally.asked


# -- error paths -----------------------------------------------------------------------------


def error_paths(known: Known) -> Iterator[dict[str, Any]]:
    """Hand-written documents that fail mid-tree: in lists of non-null items, in batch forms,
    in fragments and aliases, behind @skip/@include, in variables."""
    playlist = to_global_id("Playlist", known.public[0])
    mix = to_global_id("Playlist", "daily-mix-1:user-9")
    track = to_global_id("Track", known.tracks[0])
    album = to_global_id("Album", known.albums[0])
    yield {
        "query": "{ home { sections(first: 3) { edges { node { kind items(first: 2, "
        'after: "bad") { totalCount } } } } } }'
    }
    yield {
        "query": '{ search(query: "rock") { playlists(first: 5) { edges { node { name '
        "tracks(first: -1) { totalCount } owner { handle playlists(first: 500) { totalCount }"
        " } } } } } }"
    }
    yield {
        "query": '{ search(query: "rock") { playlists(first: 6) { edges { node { '
        "tracks(first: 2) { edges { addedAt node { name album { name } } } } owner { handle "
        "likedTracks(first: 1) { totalCount } } } } } } }"
    }
    conditions = (
        "query($s: Boolean!, $i: Boolean!) { me { handle @skip(if: $s) "
        "dailyMixes @include(if: $i) { name tracks(first: 2) { edges { node { name } } } } } }"
    )
    for skip in (True, False):
        for include in (True, False):
            yield {"query": conditions, "variables": {"s": skip, "i": include}}
    yield {
        "query": f'{{ nodes(ids: ["{track}", "{playlist}", "{album}", "bad"]) {{ __typename '
        "id } }"
    }
    yield {
        "query": f'{{ a: node(id: "{playlist}") {{ ... on Playlist {{ t1: tracks(first: 1) '
        "{ totalCount } t2: tracks(first: 2) { edges { addedAt node { name } } } owner "
        f'{{ displayName }} }} }} b: node(id: "{mix}") {{ id ... on Playlist {{ tracks(first: '
        '3) { totalCount } } } c: node(id: "VHJhY2s6OTk5OTk5OQ==") { id } }'
    }
    yield {
        "query": 'query { search(query: "queen") { ...R } } fragment R on SearchResult { '
        "topResult { __typename ... on Track { name album { name artists { name } } } } "
        "tracks(first: 3) { edges { cursor node { ...T } } } } "
        "fragment T on Track { id name artists { id } }"
    }
    for first in (0, 101, 3):
        yield {
            "query": f"{{ me {{ dailyMixes {{ name tracks(first: {first}) {{ totalCount edges "
            "{ node { name } } } } discoverWeekly { tracks(first: 2) { totalCount } } } }"
        }
    yield {
        "query": "{ me { recentlyPlayed(first: 3) { edges { node { name } } } likedTracks("
        'first: 3, after: "zz") { totalCount } } }'
    }
    yield {
        "query": "query($f: Int) { me { playlists(first: $f) { totalCount } } }",
        "variables": {"f": "x"},
    }
    yield {
        "query": "query($f: Int) { me { playlists(first: $f) { edges { node { tracks(first: "
        "$f) { totalCount } } } } } }",
        "variables": {"f": 2},
    }


async def test_error_paths_answer_the_same_with_healthy_and_failing_backends(
    stores: tuple[Path, Path], known: Known
) -> None:
    # given documents that fail mid-tree, and each backend failing in turn
    tally = Tally()
    with CompiledShare() as tally.share:
        for fault in ("healthy", "catalog down", "library down", "playlists down"):
            async with twin(stores, FAULTS[fault]) as gateways:
                # when each runs through both engines
                for body in error_paths(known):
                    await gateways.ask(body, bearer("user-9"))
            tally.add(gateways)
    # then every answer was the same (the variable error is refused before execution)
    print("\n" + tally.report("error-path requests"))
    assert tally.share.fallback == 0 and tally.share.compiled >= tally.asked - 4


# -- generated queries -----------------------------------------------------------------------


def generated_queries(count: int, known: Known, cache: pytest.Cache | None) -> list[str]:
    """``count`` queries over the whole schema, drawn once (derandomized) and kept."""
    ids = known.ids()
    key = hashlib.sha256(
        "\n".join(
            [
                SDL.read_text(),
                *ids,
                str(count),
                version("hypothesis-graphql"),
                version("hypothesis"),
            ]
        ).encode()
    ).hexdigest()[:16]
    cached = None if cache is None else cache.get(f"crossfade/differential/{key}", None)
    if cached is not None:
        return list(cached)
    id_values = st.one_of(
        st.sampled_from(ids),
        st.builds(
            to_global_id,
            st.sampled_from(["Track", "Playlist", "User", "Album", "Nope"]),
            st.integers(-5, 10**7),
        ),
        st.text(max_size=12),
    )
    from graphql import StringValueNode

    strategy = queries(
        SDL.read_text(), custom_scalars={"ID": id_values.map(lambda v: StringValueNode(value=v))}
    )
    drawn: list[str] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(query=strategy)
    def draw(query: str) -> None:
        drawn.append(query)

    draw()
    if cache is not None:
        cache.set(f"crossfade/differential/{key}", drawn)
    return drawn


def fault_of(index: int) -> str:
    """Two queries in three run against healthy backends, the third against a failing one."""
    names = list(FAULTS)
    return "healthy" if index % 3 else names[1 + (index // 3) % (len(names) - 1)]


def viewer_of(index: int) -> dict[str, str] | None:
    return None if index % 7 == 3 else bearer(f"user-{1 + index % 40}")


async def run_generated(documents: list[str], stores: tuple[Path, Path]) -> Tally:
    by_fault: dict[str, list[tuple[int, str]]] = {}
    for index, document in enumerate(documents):
        by_fault.setdefault(fault_of(index), []).append((index, document))
    tally = Tally()
    with CompiledShare() as tally.share:
        for fault, batch in by_fault.items():
            async with twin(stores, FAULTS[fault]) as gateways:
                for index, document in batch:
                    await gateways.ask({"query": document}, viewer_of(index))
            tally.add(gateways)
    print("\n" + tally.report("generated queries"))
    return tally


async def test_generated_queries_answer_the_same_with_healthy_and_failing_backends(
    stores: tuple[Path, Path], known: Known, pytestconfig: pytest.Config
) -> None:
    # given queries over the whole schema with random arguments
    documents = generated_queries(GENERATED_FAST, known, getattr(pytestconfig, "cache", None))
    # when each runs through both engines, against healthy or failing backends
    tally = await run_generated(documents, stores)
    # then every answer was the same, and (nearly) all of them ran compiled plans
    assert tally.asked == GENERATED_FAST
    assert tally.share is not None and tally.share.share >= 0.95


@pytest.mark.slow
async def test_thousands_of_generated_queries_answer_the_same(
    stores: tuple[Path, Path], known: Known, pytestconfig: pytest.Config
) -> None:
    documents = generated_queries(GENERATED, known, getattr(pytestconfig, "cache", None))
    tally = await run_generated(documents, stores)
    assert tally.asked == GENERATED
    assert tally.share is not None and tally.share.share >= 0.95
