"""Each operation's cache policy comes from the schema's @cacheControl declarations: the
strictest scope and the smallest max-age among the fields it selects, computed once per
document; mutations and introspection are never cached."""

from __future__ import annotations

import pytest
import strawberry
from graphql import GraphQLObjectType, OperationDefinitionNode, parse

from gateway.cache.policy import UNCACHEABLE, CachePolicy, Scope, operation_policy
from gateway.graphql_schema import build_schema
from schema.cache_control import CacheControl, CacheControlScope
from tests.support.app import GatewayClient
from tests.support.repo import operation
from tests.support.stakeholders import QUERIES
from tests.support.tokens import bearer

PUBLIC, PRIVATE, NO_CACHE = (
    CacheControlScope.PUBLIC,
    CacheControlScope.PRIVATE,
    CacheControlScope.NO_CACHE,
)


def policy_of(schema: strawberry.Schema, query: str, name: str | None = None) -> CachePolicy:
    document = parse(query)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next(o for o in operations if name is None or (o.name and o.name.value == name))
    return operation_policy(schema._schema, document, chosen)


@pytest.fixture(scope="module")
def crossfade() -> strawberry.Schema:
    return build_schema()


@pytest.mark.parametrize("name", QUERIES)
def test_the_stakeholders_reads_are_private_for_five_minutes(
    crossfade: strawberry.Schema, name: str
) -> None:
    # Each reaches personal data or data whose visibility depends on who asks.
    assert policy_of(crossfade, operation(name)) == CachePolicy(Scope.PRIVATE, 300)


@pytest.mark.parametrize("name", ["CreatePlaylist", "AddTracks", "RemoveTracks", "RecordPlay"])
def test_mutations_are_never_cached(crossfade: strawberry.Schema, name: str) -> None:
    assert policy_of(crossfade, operation("PlaylistEdits"), name) == UNCACHEABLE


def test_introspection_is_never_cached(crossfade: strawberry.Schema) -> None:
    assert policy_of(crossfade, "{ __schema { types { name } } }") == UNCACHEABLE
    assert policy_of(crossfade, '{ __type(name: "Track") { name } }') == UNCACHEABLE


def test_every_object_type_declares_a_policy_or_only_carries_its_parents(
    crossfade: strawberry.Schema,
) -> None:
    # A new type must say who may reuse it; connections, edges and payloads inherit.
    structural = ("Connection", "Edge", "Payload", "PageInfo", "Query", "Mutation")
    undeclared = sorted(
        name
        for name, t in crossfade._schema.type_map.items()
        if isinstance(t, GraphQLObjectType)
        and not name.startswith("__")
        and not name.endswith(structural)
        and not any(
            isinstance(d, CacheControl)
            for d in t.extensions["strawberry-definition"].directives or ()
        )
    )
    assert undeclared == []


@strawberry.type(directives=[CacheControl(max_age=3600, scope=PUBLIC)])
class Song:
    title: str
    secret: str = strawberry.field(directives=[CacheControl(scope=PRIVATE)])
    live_plays: int = strawberry.field(directives=[CacheControl(scope=NO_CACHE)])


@strawberry.type
class Shelf:  # declares nothing: inherits
    songs: list[Song]


def _song() -> Song:
    return Song(title="a", secret="b", live_plays=1)


def _shelf() -> Shelf:
    return Shelf(songs=[])


@strawberry.type
class Toy:
    # Resolvers passed in rather than decorated: the decorator with arguments is untyped.
    song: Song = strawberry.field(
        resolver=_song, directives=[CacheControl(max_age=60, scope=PUBLIC)]
    )
    shelf: Shelf = strawberry.field(resolver=_shelf, directives=[CacheControl(max_age=120)])
    undeclared: Song = strawberry.field(resolver=_song)


@pytest.fixture(scope="module")
def toy() -> strawberry.Schema:
    return strawberry.Schema(query=Toy)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # a root field's own hint beats its type's max-age
        ("{ song { title } }", CachePolicy(Scope.PUBLIC, 60)),
        # a scalar field's scope counts
        ("{ song { title secret } }", CachePolicy(Scope.PRIVATE, 60)),
        ("{ song { livePlays } }", UNCACHEABLE),
        # a type's hint counts where it is selected below an undeclared type
        ("{ shelf { songs { title } } }", CachePolicy(Scope.PUBLIC, 120)),
        # the smallest max-age of the operation wins
        ("{ shelf { songs { title } } song { title } }", CachePolicy(Scope.PUBLIC, 60)),
        # a root field with no hint of its own takes its type's
        ("{ undeclared { title } }", CachePolicy(Scope.PUBLIC, 3600)),
        # fragments are walked like inline selections
        ("{ song { ...f } } fragment f on Song { secret }", CachePolicy(Scope.PRIVATE, 60)),
        ("{ __typename }", UNCACHEABLE),
    ],
)
def test_the_policy_is_the_strictest_of_what_is_selected(
    toy: strawberry.Schema, query: str, expected: CachePolicy
) -> None:
    assert policy_of(toy, query) == expected


@strawberry.type
class Bare:
    @strawberry.field
    def count(self) -> int:
        return 1


def test_a_root_field_that_declares_nothing_is_never_cached() -> None:
    assert policy_of(strawberry.Schema(query=Bare), "{ count }") == UNCACHEABLE


@pytest.mark.anyio
async def test_the_policy_is_computed_once_per_document(client: GatewayClient) -> None:
    cache = client.app.state.response_cache
    query = {"query": "query Once { home { greeting } }"}
    for who in ("user-1", "user-2", None):
        for _ in range(3):
            r = await client.post("/graphql", json=query, headers=bearer(who) if who else {})
            assert r.status_code == 200
    # Three viewers, nine requests: one parse, one validation, one policy.
    assert cache.documents.compiled == 1
