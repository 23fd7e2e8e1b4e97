"""Execution plans: what to produce for every selection set of a validated operation.

A plan is built once per document, operation and values of the variables its ``@skip`` /
``@include`` conditions read, with graphql-core's own field collection (``collect_fields``,
``collect_subfields``), so fragments, aliases, directives and field merging are exactly
graphql-core's. For each selection set and each concrete type it can meet, the plan lists the
fields in response order, each with how to get its value (an attribute read, a resolver call,
a batch call for the whole level, ``__typename``) and how to complete it (a ``Shape``: leaf,
object, abstract type or list, and whether null is allowed).

Anything the plan cannot express exactly raises ``Unsupported`` while planning, and the whole
operation runs through graphql-core's executor instead.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, cast

from graphql import (
    FieldNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues
from graphql.type.scalars import GRAPHQL_MAX_INT, GRAPHQL_MIN_INT
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

from resolvers.batching import batch_form

DEFINITION = "strawberry-definition"  # where Strawberry links its definitions in graphql-core
MISSING: Any = object()  # a leaf the fast path cannot serialise: use the type's own coercion


class Unsupported(Exception):
    """The operation needs something plans do not do; graphql-core's executor runs it."""


class Get(IntEnum):
    """How a field's value is obtained."""

    TYPENAME = 0  # the parent type's name
    ATTRIBUTE = 1  # a plain Strawberry field: getattr on the parent
    RESOLVER = 2  # the field's resolver, once per parent
    BATCH = 3  # the resolver's batch form (resolvers/batching.py), once per level


class Kind(IntEnum):
    LEAF = 0
    OBJECT = 1
    ABSTRACT = 2
    LIST = 3


@dataclass(slots=True, eq=False)
class Shape:
    """How a value of one output type is completed."""

    kind: Kind
    nullable: bool
    type: Any  # the named type (or the list type) under NonNull
    item: Shape | None = None  # LIST
    fast: Callable[[Any], Any] | None = None  # LEAF: exact fast path, MISSING when not taken
    plan: SelectionPlan | None = None  # OBJECT
    plans: dict[str, SelectionPlan] = field(default_factory=dict)  # ABSTRACT: by type name
    memo_types: bool = False  # ABSTRACT: runtime type is a function of the Python class
    memo: dict[builtins.type, str] = field(default_factory=dict)  # ABSTRACT: class → type name
    prefetch: bool = False  # list items (or objects below them) have fields with batch forms


@dataclass(slots=True, eq=False)
class FieldPlan:
    """One response key of a selection set, for one concrete parent type."""

    key: str
    ordinal: int  # position in the selection set: the response's key order
    index: int  # unique in the operation: per-run caches are lists indexed by it
    get: Get
    name: str
    parent: GraphQLObjectType
    field_def: GraphQLField | None
    nodes: list[FieldNode]
    details: FieldDetailsList
    shape: Shape
    null_message: str
    python_name: str = ""
    getter: Callable[[Any, str], Any] | None = None
    field: StrawberryField | None = None
    resolver: Callable[..., Any] | None = None
    batch: Callable[..., Any] | None = None
    self_param: bool = False
    source_params: tuple[str, ...] = ()  # parameters that receive the parent (root=, parent=)
    info_param: str | None = None
    has_args: bool = False
    copy_args: bool = False  # lists and input objects are converted afresh for every call


@dataclass(slots=True, eq=False)
class SelectionPlan:
    """The fields to produce for objects of one concrete type at one place of the response."""

    type: GraphQLObjectType
    fields: list[FieldPlan]
    # graphql-core checks ``is_type_of`` before completing an object; Strawberry's own
    # predicate depends on the Python class only, so its answers are kept per class.
    is_type_of: Callable[[Any, Any], Any] | None = None
    memo_is_type_of: bool = False
    memo: dict[builtins.type, bool] = field(default_factory=dict)
    # Fields with batch forms, and attribute fields leading to objects that have some: a
    # list of these objects calls each batch form once for all its items (executor.py).
    batches: list[FieldPlan] = field(default_factory=list)
    routes: list[FieldPlan] = field(default_factory=list)

    def batched(self) -> bool:
        return bool(self.batches or self.routes)


@dataclass(slots=True, eq=False)
class OperationPlan:
    root: SelectionPlan
    serial: bool  # mutations: root fields one after the other
    size: int  # field plans in all


def _fast_string(value: Any) -> Any:
    return value if type(value) is str else MISSING


def _fast_int(value: Any) -> Any:
    if type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
        return value
    return MISSING


def _fast_boolean(value: Any) -> Any:
    return value if type(value) is bool else MISSING


# Only the exact cases where graphql-core's coercion returns the value itself.
FAST_LEAVES: Mapping[GraphQLNamedType, Callable[[Any], Any]] = {
    GraphQLString: _fast_string,
    GraphQLID: _fast_string,
    GraphQLInt: _fast_int,
    GraphQLBoolean: _fast_boolean,
}


def _copies(type_: object, seen: set[int] | None = None) -> bool:
    """Whether Strawberry builds a fresh value for an argument of this type on every call."""
    seen = set() if seen is None else seen
    while isinstance(type_, StrawberryOptional | LazyType):
        type_ = type_.of_type if isinstance(type_, StrawberryOptional) else type_.resolve_type()
    if isinstance(type_, StrawberryList):
        _copies(type_.of_type, seen)
        return True
    definition = getattr(type_, "__strawberry_definition__", None)
    if not getattr(definition, "is_input", False) or id(type_) in seen:
        return False
    seen.add(id(type_))
    if getattr(definition, "from_input", None) is not None:
        raise Unsupported("an input type that builds itself (it would need an Info)")
    for input_field in definition.fields:  # type: ignore[union-attr]
        _copies(input_field.resolve_type(type_definition=definition), seen)
    return True


def _leads_to_batches(shape: Shape) -> bool:
    """An object (or abstract) value of ``shape`` has batch-form fields, maybe one attribute
    field down (``edges[].node.owner``)."""
    plans = [shape.plan] if shape.kind is Kind.OBJECT else list(shape.plans.values())
    return any(p is not None and p.batched() for p in plans)


class Planner:
    """Builds ``OperationPlan``s for one schema."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema

    def plan(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDetails],
        variable_values: VariableValues,
    ) -> OperationPlan:
        if operation.operation == OperationType.SUBSCRIPTION:
            raise Unsupported("subscription")
        if operation.directives:
            raise Unsupported("operation directive")
        if any(f.variable_signatures for f in fragments.values()):
            raise Unsupported("fragment variables")
        root_type = self.schema.get_root_type(operation.operation)
        if root_type is None:
            raise Unsupported("no root type")
        builder = _Build(self.schema, fragments, variable_values, operation)
        try:
            collected = collect_fields(
                self.schema, fragments, variable_values, root_type, operation
            )
        except Exception as exc:  # a bad @skip/@include: graphql-core reports it
            raise Unsupported("field collection failed") from exc
        if collected.new_defer_usages:
            raise Unsupported("@defer")
        root = builder.selection(root_type, collected.grouped_field_set)
        return OperationPlan(
            root=root,
            serial=operation.operation == OperationType.MUTATION,
            size=builder.count,
        )


class _Build:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDetails],
        variable_values: VariableValues,
        operation: OperationDefinitionNode,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variable_values = variable_values
        self.operation = operation
        self.count = 0

    def selection(self, type_: GraphQLObjectType, grouped: GroupedFieldSet) -> SelectionPlan:
        fields = [
            self.field(type_, key, ordinal, details)
            for ordinal, (key, details) in enumerate(grouped.items())
        ]
        definition = type_.extensions.get(DEFINITION)
        own_predicate = getattr(definition, "is_type_of", None) is not None
        return SelectionPlan(
            type=type_,
            fields=fields,
            is_type_of=type_.is_type_of,
            memo_is_type_of=type_.is_type_of is not None and not own_predicate,
            batches=[f for f in fields if f.get is Get.BATCH],
            routes=[f for f in fields if f.get is Get.ATTRIBUTE and _leads_to_batches(f.shape)],
        )

    def subselection(self, type_: GraphQLObjectType, details: FieldDetailsList) -> SelectionPlan:
        try:
            collected = collect_subfields(
                self.schema,
                self.fragments,
                self.variable_values,
                self.operation,
                type_,
                details,
            )
        except Exception as exc:
            raise Unsupported("field collection failed") from exc
        if collected.new_defer_usages:
            raise Unsupported("@defer")
        return self.selection(type_, collected.grouped_field_set)

    def field(
        self, parent: GraphQLObjectType, key: str, ordinal: int, details: FieldDetailsList
    ) -> FieldPlan:
        if any(d.defer_usage is not None or d.fragment_variable_values for d in details):
            raise Unsupported("@defer or fragment variables")
        nodes = [d.node for d in details]
        name = nodes[0].name.value
        index = self.count
        self.count += 1
        if name == "__typename":
            return FieldPlan(
                key=key,
                ordinal=ordinal,
                index=index,
                get=Get.TYPENAME,
                name=name,
                parent=parent,
                field_def=None,
                nodes=nodes,
                details=details,
                shape=Shape(Kind.LEAF, False, GraphQLString, fast=_fast_string),
                null_message="",
            )
        if name.startswith("__"):
            raise Unsupported("introspection")
        field_def = self.schema.get_field(parent, name)
        if field_def is None:
            raise Unsupported("unknown field")
        strawberry_field = field_def.extensions.get(DEFINITION)
        if not isinstance(strawberry_field, StrawberryField) or strawberry_field.extensions:
            raise Unsupported("field extensions")
        plan = FieldPlan(
            key=key,
            ordinal=ordinal,
            index=index,
            get=Get.ATTRIBUTE,
            name=name,
            parent=parent,
            field_def=field_def,
            nodes=nodes,
            details=details,
            shape=self.shape(field_def.type, details),
            null_message=f"Cannot return null for non-nullable field {parent.name}.{name}.",
            python_name=strawberry_field.python_name,
            field=strawberry_field,
            has_args=bool(field_def.args or nodes[0].arguments),
        )
        resolver = strawberry_field.base_resolver
        if resolver is None:
            plan.getter = strawberry_field.default_resolver
            return plan
        plan.get = Get.RESOLVER
        plan.resolver = resolver
        plan.self_param = resolver.self_parameter is not None
        plan.source_params = tuple(
            p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p is not None
        )
        plan.info_param = None if resolver.info_parameter is None else resolver.info_parameter.name
        plan.copy_args = any(_copies(a.type) for a in strawberry_field.arguments)
        batch = batch_form(cast(Callable[..., Any], resolver.wrapped_func))
        if batch is not None:
            if plan.source_params:
                raise Unsupported("batch form of a resolver taking root or parent")
            plan.get = Get.BATCH
            plan.batch = batch
        return plan

    def shape(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Shape:
        nullable = True
        if is_non_null_type(type_):
            nullable = False
            type_ = type_.of_type
        if is_list_type(type_):
            item = self.shape(type_.of_type, details)
            item.prefetch = _leads_to_batches(item)
            return Shape(Kind.LIST, nullable, type_, item=item)
        if is_leaf_type(type_):
            return Shape(Kind.LEAF, nullable, type_, fast=FAST_LEAVES.get(type_))
        if is_object_type(type_):
            assert isinstance(type_, GraphQLObjectType)
            return Shape(Kind.OBJECT, nullable, type_, plan=self.subselection(type_, details))
        if is_abstract_type(type_):
            definition = type_.extensions.get(DEFINITION)
            custom = getattr(definition, "resolve_type", None) is not None
            return Shape(
                Kind.ABSTRACT,
                nullable,
                type_,
                plans={
                    possible.name: self.subselection(possible, details)
                    for possible in self.schema.get_possible_types(type_)
                },
                memo_types=type_.resolve_type is not None and not custom,
            )
        raise Unsupported(f"output type {type_}")
