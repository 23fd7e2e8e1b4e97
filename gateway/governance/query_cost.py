"""Static query cost: what an operation will make the gateway and its backends do, computed
from the document and its variables before anything runs.

The model is the usual one for connection APIs (GitHub, Shopify, Saleor): every field costs 1
unless it is fed by a backend call or the ranking core, then more; a connection's ``edges`` are
multiplied by the page size it asks for (``first``/``last``, resolved from variables, or the
server's maximum page size when absent, because that is what a client may get); plain lists are
multiplied by their known bound. On an abstract type (``node``, a Home item) only one concrete
type's fragment applies per object, so the dearest one is counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    get_named_type,
    get_nullable_type,
    is_abstract_type,
    value_from_ast_untyped,
)

# Fields that call a backend or the ranking core; every other field costs DEFAULT_FIELD_COST.
# Weights are relative: a backend round trip ~5, a ranked shelf or mix set ~20.
FIELD_COSTS: Mapping[str, int] = {
    "Query.me": 5,
    "Query.home": 20,
    "Query.search": 20,
    "Query.playlist": 5,
    "Query.node": 5,
    "Query.nodes": 5,
    "Playlist.owner": 2,
    "Playlist.tracks": 5,
    "User.playlists": 5,
    "User.likedTracks": 5,
    "User.recentlyPlayed": 5,
    "User.discoverWeekly": 20,
    "User.dailyMixes": 20,
    "Mutation.createPlaylist": 20,
    "Mutation.addTracksToPlaylist": 20,
    "Mutation.removeTracksFromPlaylist": 20,
    "Mutation.recordPlay": 10,
}
# Bounds of lists that take no page size (the schema documents them).
LIST_SIZES: Mapping[str, int] = {
    "Track.artists": 3,
    "Album.artists": 3,
    "User.dailyMixes": 6,
}
DEFAULT_FIELD_COST = 1
# Fragments nest at most as deep as the depth limit allows; this only stops a runaway walk.
_MAX_WALK_DEPTH = 64


@dataclass(slots=True)
class _Walk:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    max_page_size: int
    seen_fragments: list[str] = field(default_factory=list)

    def selection_set(self, parent: GraphQLNamedType, node: SelectionSetNode, depth: int) -> int:
        if depth > _MAX_WALK_DEPTH:
            return 0
        common: list[tuple[GraphQLNamedType, FieldNode]] = []
        # Per concrete type condition on an abstract parent: only one applies to each object.
        branches: dict[str, int] = {}
        self._collect(parent, node, common, branches, depth)
        total = sum(self.field(p, f, depth) for p, f in common)
        return total + max(branches.values(), default=0)

    def _collect(
        self,
        parent: GraphQLNamedType,
        node: SelectionSetNode,
        common: list[tuple[GraphQLNamedType, FieldNode]],
        branches: dict[str, int],
        depth: int,
    ) -> None:
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                common.append((parent, selection))
                continue
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or self.seen_fragments.count(name) > _MAX_WALK_DEPTH:
                    continue
                condition_name: str | None = fragment.type_condition.name.value
                selection_set = fragment.selection_set
                self.seen_fragments.append(name)
            elif isinstance(selection, InlineFragmentNode):
                tc = selection.type_condition
                condition_name = tc.name.value if tc else None
                selection_set = selection.selection_set
            else:  # pragma: no cover - graphql-core has no other selection kinds
                continue
            condition = self.schema.get_type(condition_name) if condition_name else parent
            if condition is None:
                continue
            if condition is parent or not is_abstract_type(parent):
                # Same type, or an object parent: the fragment's fields join the parent's.
                self._collect(parent, selection_set, common, branches, depth)
            else:
                cost = self.selection_set(condition, selection_set, depth + 1)
                branches[condition.name] = branches.get(condition.name, 0) + cost

    def field(
        self, parent: GraphQLNamedType, node: FieldNode, depth: int, page: int | None = None
    ) -> int:
        """``page``: the item count of a connection's ``edges``/``nodes`` list."""
        name = node.name.value
        if name == "__typename":
            return 0
        if name.startswith("__"):
            # Introspection reads the in-memory schema only (and has its own switch).
            return DEFAULT_FIELD_COST
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return DEFAULT_FIELD_COST
        definition = parent.fields.get(name)
        if definition is None:
            return DEFAULT_FIELD_COST
        key = f"{parent.name}.{name}"
        own = FIELD_COSTS.get(key, DEFAULT_FIELD_COST)
        if node.selection_set is None:
            return own
        child_type = get_named_type(definition.type)
        connection_page = self._page_size(node)
        if connection_page is not None:
            # A connection: its items (edges/nodes) repeat per page entry, the rest once.
            total = own
            for p, child in self._fields(child_type, node.selection_set):
                items = connection_page if child.name.value in {"edges", "nodes"} else None
                total += self.field(p, child, depth + 1, items)
            return total
        children = self.selection_set(child_type, node.selection_set, depth + 1)
        if page is not None:
            return own + page * children
        if isinstance(get_nullable_type(definition.type), GraphQLList):
            return own + self._list_size(key, node) * children
        return own + children

    def _fields(
        self, parent: GraphQLNamedType, node: SelectionSetNode
    ) -> list[tuple[GraphQLNamedType, FieldNode]]:
        common: list[tuple[GraphQLNamedType, FieldNode]] = []
        self._collect(parent, node, common, {}, 0)
        return common

    def _page_size(self, node: FieldNode) -> int | None:
        arguments = {a.name.value: a.value for a in node.arguments or ()}
        if "first" not in arguments and "last" not in arguments:
            return None
        sizes = [self._int(arguments.get(k)) for k in ("first", "last")]
        given = [s for s in sizes if s is not None]
        # Larger pages are refused by the resolvers (BAD_USER_INPUT) before any backend call.
        page = min(given) if given else self.max_page_size
        return max(0, min(page, self.max_page_size))

    def _list_size(self, key: str, node: FieldNode) -> int:
        if key == "Query.nodes":
            ids = self._value(
                next((a.value for a in node.arguments or () if a.name.value == "ids"), None)
            )
            return len(ids) if isinstance(ids, list) else self.max_page_size
        return LIST_SIZES.get(key, self.max_page_size)

    def _value(self, node: ValueNode | None) -> Any:
        if node is None:
            return None
        return value_from_ast_untyped(node, self.variables)

    def _int(self, node: ValueNode | None) -> int | None:
        value = self._value(node)
        return value if isinstance(value, int) and not isinstance(value, bool) else None


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Sequence[FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
    *,
    max_page_size: int,
) -> int:
    """The cost of one operation of a validated document with the request's variables."""
    resolved = _variables_with_defaults(operation, variables or {})
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    walk = _Walk(schema, {f.name.value: f for f in fragments}, resolved, max_page_size)
    return walk.selection_set(root, operation.selection_set, 0)


def _variables_with_defaults(
    operation: OperationDefinitionNode, variables: Mapping[str, Any]
) -> dict[str, Any]:
    resolved = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in resolved and definition.default_value is not None:
            resolved[name] = value_from_ast_untyped(definition.default_value)
    return resolved
