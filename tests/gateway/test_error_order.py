"""Errors come in the response's order, whatever order they were raised in."""

from __future__ import annotations

from graphql import GraphQLError

from gateway.error_order import in_response_order


def error(*path: str | int) -> GraphQLError:
    return GraphQLError("x", path=list(path) if path else None)


def paths(errors: list[GraphQLError]) -> list[list[str | int] | None]:
    return [e.path for e in errors]


def test_items_by_index_fields_in_document_order_and_request_errors_first() -> None:
    # As the loader resumed them: items 0 and 2 shared a key, item 1 came after.
    data = {"search": None, "nodes": [{"owner": None}, {"owner": None}, {"owner": None}]}
    raised = [
        error("nodes", 0, "owner", "discoverWeekly"),
        error("nodes", 2, "owner", "discoverWeekly"),
        error("search"),
        error("nodes", 1, "owner", "discoverWeekly"),
        error(),
    ]
    assert paths(in_response_order(raised, data)) == [
        None,
        ["search"],
        ["nodes", 0, "owner", "discoverWeekly"],
        ["nodes", 1, "owner", "discoverWeekly"],
        ["nodes", 2, "owner", "discoverWeekly"],
    ]


def test_a_nulled_root_keeps_the_order_raised() -> None:
    raised = [error("me", "b"), error("me", "a")]
    assert paths(in_response_order(raised, None)) == [["me", "b"], ["me", "a"]]
