"""Which schema coordinates an operation uses, read from its document alone."""

from __future__ import annotations

from graphql import build_schema as parse_sdl
from graphql import parse

from gateway.graphql_schema import build_schema
from gateway.usage.coordinates import deprecated_coordinates, operation_usage
from tests.support.repo import operation

SCHEMA = build_schema()._schema


def test_search_uses_these_fields_and_arguments() -> None:
    usage = operation_usage(SCHEMA, parse(operation("Search")), None)
    assert usage is not None and usage.name == "Search"
    assert usage.coordinates == (
        "Album.artists",
        "Album.id",
        "Album.name",
        "AlbumConnection.edges",
        "AlbumConnection.totalCount",
        "AlbumEdge.node",
        "Artist.id",
        "Artist.name",
        "ArtistConnection.edges",
        "ArtistConnection.totalCount",
        "ArtistEdge.node",
        "PageInfo.endCursor",
        "PageInfo.hasNextPage",
        "Playlist.id",
        "Playlist.name",
        "Playlist.owner",
        "PlaylistConnection.edges",
        "PlaylistConnection.totalCount",
        "PlaylistEdge.node",
        "Query.search",
        "Query.search(query:)",
        "SearchResult.albums",
        "SearchResult.albums(first:)",
        "SearchResult.artists",
        "SearchResult.artists(first:)",
        "SearchResult.playlists",
        "SearchResult.playlists(first:)",
        "SearchResult.topResult",
        "SearchResult.tracks",
        "SearchResult.tracks(first:)",
        "Track.album",
        "Track.artists",
        "Track.id",
        "Track.name",
        "Track.popularity",
        "TrackConnection.edges",
        "TrackConnection.pageInfo",
        "TrackConnection.totalCount",
        "TrackEdge.node",
        "User.displayName",
        "User.id",
    )


def test_fragments_count_for_the_chosen_operation_only_and_meta_fields_not_at_all() -> None:
    # given a document with two operations, a named fragment used by one, and __typename
    document = parse(
        """
        query TrackCard($id: ID!) { node(id: $id) { __typename ...Card } }
        query Greeting { home { greeting } }
        fragment Card on Track { name genre artists { ...Who } }
        fragment Who on Artist { name }
        fragment Unused on Album { trackCount }
        """
    )
    # when / then: each operation is named by its own coordinates
    card = operation_usage(SCHEMA, document, "TrackCard")
    greeting = operation_usage(SCHEMA, document, "Greeting")
    assert card is not None and greeting is not None
    assert card.coordinates == (
        "Artist.name",
        "Query.node",
        "Query.node(id:)",
        "Track.artists",
        "Track.genre",
        "Track.name",
    )
    assert greeting.coordinates == ("Home.greeting", "Query.home")
    # an operation name the document lacks uses nothing (the executor refuses it)
    assert operation_usage(SCHEMA, document, "Missing") is None
    assert operation_usage(SCHEMA, document, None) is None  # two operations, none chosen


def test_introspection_uses_no_coordinate() -> None:
    usage = operation_usage(SCHEMA, parse("{ __schema { types { name } } }"), None)
    assert usage is not None and usage.coordinates == ()


def test_deprecated_fields_and_arguments_are_listed_with_their_reason() -> None:
    schema = parse_sdl(
        """
        type Query {
          track(id: ID!, market: String @deprecated(reason: "Markets are gone.")): Track
        }
        type Track {
          name: String!
          popularityScore: Int @deprecated(reason: "Use popularity.")
          popularity: Int
        }
        """
    )
    assert deprecated_coordinates(schema) == {
        "Query.track(market:)": "Markets are gone.",
        "Track.popularityScore": "Use popularity.",
    }
    # the live schema deprecates nothing today
    assert deprecated_coordinates(SCHEMA) == {}
