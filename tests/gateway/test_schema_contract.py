"""The committed SDL is the contract: it must match the code, and describe every type."""

from __future__ import annotations

from graphql import GraphQLNamedType, GraphQLObjectType
from graphql import build_schema as parse_sdl

from gateway.graphql_schema import build_schema
from tests.support.repo import SDL


def test_committed_sdl_matches_the_code() -> None:
    printed = build_schema().as_str()
    assert SDL.read_text().strip() == printed.strip(), (
        "schema/schema.graphql drifted: run `crossfade schema > schema/schema.graphql` and "
        "review the diff (removed or retyped fields need @deprecated first)"
    )


def test_every_type_and_field_is_described() -> None:
    schema = parse_sdl(SDL.read_text())
    missing = []
    for name, t in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        assert isinstance(t, GraphQLNamedType)
        if not t.description:
            missing.append(name)
        for field_name, field in getattr(t, "fields", {}).items():
            if not field.description and field_name != "id":
                missing.append(f"{name}.{field_name}")
    assert not missing, f"undescribed: {missing}"


def test_lists_are_connections_with_a_page_cap() -> None:
    schema = parse_sdl(SDL.read_text())
    for name, t in schema.type_map.items():
        if name.endswith("Connection"):
            assert isinstance(t, GraphQLObjectType), name
            assert {"totalCount", "edges", "pageInfo"} <= set(t.fields), name
