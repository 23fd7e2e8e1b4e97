"""Each breaking change names the coordinates whose use it breaks; graphql-core's wording of
every kind is pinned here, so a release that rewords one fails this file."""

from __future__ import annotations

import pytest
from graphql import build_schema as parse_sdl
from graphql.utilities.find_schema_changes import BreakingChangeType

from gateway.schema_checks.schema_changes import (
    _DIRECTIVE_KINDS,
    _PATTERNS,
    Change,
    schema_changes,
)

BASE = """
directive @cached on FIELD

type Query {
  track(id: ID!, market: String): Track
  tracks(filter: TrackFilter): [Track!]!
  item: Item
  node: Node
  mood: Mood
}

interface Node { id: ID! }

type Track implements Node {
  id: ID!
  name: String!
  genre: String
  legacyGenre: String @deprecated(reason: "Use genre.")
  mood: Mood
}

type Album { id: ID! }

union Item = Track | Album

enum Mood { HAPPY SAD BLUE @deprecated(reason: "Use SAD.") }

input TrackFilter { genre: String, inner: Inner }

input Inner { x: Int }
"""


def breaking(*edits: tuple[str, str]) -> list[Change]:
    new = BASE
    for old, replacement in edits:
        assert new.count(old) == 1, old
        new = new.replace(old, replacement)
    changes = schema_changes(parse_sdl(BASE), parse_sdl(new))
    return [c for c in changes if c.kind == "breaking"]


def test_every_breaking_kind_is_read_or_known_to_be_untracked() -> None:
    assert set(_PATTERNS) | _DIRECTIVE_KINDS == set(BreakingChangeType)


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            [("  genre: String\n  legacy", "  legacy")],
            Change(
                "breaking",
                "FIELD_REMOVED",
                "Field Track.genre was removed.",
                coordinates=frozenset({"Track.genre"}),
                removes_undeprecated=True,
            ),
            id="field removed, never deprecated",
        ),
        pytest.param(
            [('  legacyGenre: String @deprecated(reason: "Use genre.")\n', "")],
            Change(
                "breaking",
                "FIELD_REMOVED",
                "Field Track.legacyGenre was removed.",
                coordinates=frozenset({"Track.legacyGenre"}),
            ),
            id="deprecated field removed",
        ),
        pytest.param(
            [("  name: String!", "  name: Int!")],
            Change(
                "breaking",
                "FIELD_CHANGED_KIND",
                "Field Track.name changed type from String! to Int!.",
                coordinates=frozenset({"Track.name"}),
            ),
            id="field retyped",
        ),
        pytest.param(
            [("track(id: ID!, market: String)", "track(id: ID!, market: String, cc: String!)")],
            Change(
                "breaking",
                "REQUIRED_ARG_ADDED",
                "A required argument Query.track(cc:) was added.",
                coordinates=frozenset({"Query.track"}),
            ),
            id="required argument added",
        ),
        pytest.param(
            [("track(id: ID!, market: String)", "track(id: ID!)")],
            Change(
                "breaking",
                "ARG_REMOVED",
                "Argument Query.track(market:) was removed.",
                coordinates=frozenset({"Query.track(market:)"}),
                removes_undeprecated=True,
            ),
            id="argument removed",
        ),
        pytest.param(
            [("track(id: ID!, market: String)", "track(id: Int!, market: String)")],
            Change(
                "breaking",
                "ARG_CHANGED_KIND",
                "Argument Query.track(id:) has changed type from ID! to Int!.",
                coordinates=frozenset({"Query.track(id:)"}),
            ),
            id="argument retyped",
        ),
        pytest.param(
            [("type Album { id: ID! }", "interface Album { id: ID! }")],
            Change(
                "breaking",
                "TYPE_CHANGED_KIND",
                "Album changed from an Object type to an Interface type.",
                types=frozenset({"Album"}),
            ),
            id="type changed kind",
        ),
        pytest.param(
            [("input Inner { x: Int }", "input Inner { x: Int, y: Int! }")],
            Change(
                "breaking",
                "REQUIRED_INPUT_FIELD_ADDED",
                "A required field Inner.y was added.",
                coordinates=frozenset({"Query.tracks(filter:)"}),
            ),
            id="required input field added, reached through its holder",
        ),
        pytest.param(
            [
                (
                    "input TrackFilter { genre: String, inner: Inner }",
                    "input TrackFilter { inner: Inner }",
                )
            ],
            Change(
                "breaking",
                "FIELD_REMOVED",
                "Field TrackFilter.genre was removed.",
                coordinates=frozenset({"Query.tracks(filter:)"}),
                removes_undeprecated=True,
            ),
            id="input field removed",
        ),
        pytest.param(
            [("enum Mood { HAPPY SAD BLUE", "enum Mood { HAPPY BLUE")],
            Change(
                "breaking",
                "VALUE_REMOVED_FROM_ENUM",
                "Enum value Mood.SAD was removed.",
                coordinates=frozenset({"Query.mood", "Track.mood"}),
                removes_undeprecated=True,
            ),
            id="enum value removed",
        ),
        pytest.param(
            [("type Track implements Node {", "type Track {")],
            Change(
                "breaking",
                "IMPLEMENTED_INTERFACE_REMOVED",
                "Track no longer implements interface Node.",
                coordinates=frozenset({"Query.node"}),
            ),
            id="interface dropped",
        ),
        pytest.param(
            [("directive @cached on FIELD\n", "")],
            Change(
                "breaking", "DIRECTIVE_REMOVED", "Directive @cached was removed.", tracked=False
            ),
            id="directive removed",
        ),
    ],
)
def test_a_breaking_change_names_what_it_breaks(
    edits: list[tuple[str, str]], expected: Change
) -> None:
    assert breaking(*edits) == [expected]


def test_a_removed_type_breaks_its_fields_and_the_unions_holding_it() -> None:
    assert breaking(("type Album { id: ID! }\n", ""), ("Track | Album", "Track")) == [
        Change("breaking", "TYPE_REMOVED", "Album was removed.", types=frozenset({"Album"})),
        Change(
            "breaking",
            "TYPE_REMOVED_FROM_UNION",
            "Album was removed from union type Item.",
            coordinates=frozenset({"Query.item"}),
        ),
    ]


def test_a_deprecated_enum_value_may_go() -> None:
    (change,) = breaking(('BLUE @deprecated(reason: "Use SAD.") }', "}"))
    assert change.type == "VALUE_REMOVED_FROM_ENUM" and not change.removes_undeprecated


def test_additions_and_deprecations_are_safe_and_new_optional_arguments_dangerous() -> None:
    new = (
        BASE.replace("  genre: String\n", '  genre: String @deprecated(reason: "Moods.")\n')
        .replace("type Album { id: ID! }", "type Album { id: ID!, title: String }")
        .replace('BLUE @deprecated(reason: "Use SAD.")', "BLUE")
        .replace("  mood: Mood\n}\n\ninterface", "  mood(at: Int): Mood\n}\n\ninterface")
    )
    changes = schema_changes(parse_sdl(BASE), parse_sdl(new))
    assert [(c.kind, c.type, c.description) for c in changes] == [
        (
            "dangerous",
            "OPTIONAL_ARG_ADDED",
            "An optional argument Query.mood(at:) was added.",
        ),
        ("safe", "FIELD_ADDED", "Field Album.title was added."),
        ("safe", "DEPRECATION_ADDED", "Track.genre is now @deprecated (Moods.)."),
        ("safe", "DEPRECATION_REMOVED", "Mood.BLUE is no longer deprecated."),
    ]
