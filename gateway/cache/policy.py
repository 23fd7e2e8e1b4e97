"""An operation's cache policy, from the schema's ``@cacheControl`` declarations
(``schema/cache_control.py``): the strictest scope and the smallest max-age among the fields
it selects. Computed once per document; mutations and introspection are never cached.

A field's hint is its own declaration, else its type's; a field with neither takes its
parent's (connections, edges and scalars add nothing); a root field with neither is
``NO_CACHE``. A fragment on a type that declares a hint adds that type's hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)

from schema.cache_control import CacheControl, CacheControlScope


class Scope(IntEnum):
    """Ordered from the loosest to the strictest."""

    PUBLIC = 0
    PRIVATE = 1
    NO_CACHE = 2


_SCOPES = {
    CacheControlScope.PUBLIC: Scope.PUBLIC,
    CacheControlScope.PRIVATE: Scope.PRIVATE,
    CacheControlScope.NO_CACHE: Scope.NO_CACHE,
}


@dataclass(frozen=True, slots=True)
class CachePolicy:
    scope: Scope
    max_age: int  # seconds

    @property
    def cacheable(self) -> bool:
        return self.scope != Scope.NO_CACHE and self.max_age > 0


UNCACHEABLE = CachePolicy(Scope.NO_CACHE, 0)


def _declared(extensions: dict[str, Any] | None) -> CacheControl | None:
    definition = (extensions or {}).get("strawberry-definition")
    for directive in getattr(definition, "directives", None) or ():
        if isinstance(directive, CacheControl):
            return directive
    return None


class _Walk:
    """Folds the hints of every selected field into one policy."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self.scope = Scope.PUBLIC
        self.max_age: int | None = None
        self._spread: set[str] = set()

    def add(self, max_age: int | None, scope: CacheControlScope | None) -> None:
        if max_age is not None:
            self.max_age = max_age if self.max_age is None else min(self.max_age, max_age)
        if scope is not None:
            self.scope = max(self.scope, _SCOPES[scope])

    def add_type(self, type_name: str) -> GraphQLObjectType | GraphQLInterfaceType | None:
        found = self.schema.get_type(type_name)
        if not isinstance(found, GraphQLObjectType | GraphQLInterfaceType):
            return None
        hint = _declared(found.extensions)
        if hint is not None:
            self.add(hint.max_age, hint.scope)
        return found

    def selections(
        self, parent: GraphQLObjectType | GraphQLInterfaceType | None, node: SelectionSetNode
    ) -> bool:
        """False when the document selects something this walk cannot judge."""
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                if not self.field(parent, selection):
                    return False
            elif isinstance(selection, InlineFragmentNode):
                inner = parent
                if selection.type_condition is not None:
                    inner = self.add_type(selection.type_condition.name.value)
                if not self.selections(inner, selection.selection_set):
                    return False
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None:
                    return False
                if name in self._spread:  # a cycle; validation refuses those anyway
                    continue
                self._spread.add(name)
                inner = self.add_type(fragment.type_condition.name.value)
                if not self.selections(inner, fragment.selection_set):
                    return False
        return True

    def field(
        self, parent: GraphQLObjectType | GraphQLInterfaceType | None, node: FieldNode
    ) -> bool:
        name = node.name.value
        if name == "__typename":
            return True
        if parent is None or name.startswith("__"):
            return False  # introspection, or a field of a type this walk does not know
        definition = parent.fields.get(name)
        if definition is None:
            return False
        named = get_named_type(definition.type)
        own = _declared(definition.extensions)
        typed = _declared(getattr(named, "extensions", None))
        max_age = own.max_age if own is not None else None
        scope = own.scope if own is not None else None
        if typed is not None:
            max_age = typed.max_age if max_age is None else max_age
            scope = typed.scope if scope is None else scope
        if parent is self.schema.query_type and max_age is None:
            max_age = 0  # a root field must say how long it may be reused
        self.add(max_age, scope)
        if node.selection_set is None:
            return True
        inner = named if isinstance(named, GraphQLObjectType | GraphQLInterfaceType) else None
        return self.selections(inner, node.selection_set)


def operation_policy(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> CachePolicy:
    """The policy of ``operation`` (one of ``document``'s, validated against ``schema``)."""
    if operation.operation != OperationType.QUERY:
        return UNCACHEABLE
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments)
    if not walk.selections(schema.query_type, operation.selection_set) or walk.max_age is None:
        return UNCACHEABLE
    policy = CachePolicy(walk.scope, walk.max_age)
    return policy if policy.cacheable else UNCACHEABLE
