"""Schema coordinates: which ``Type.field`` and ``Type.field(arg:)`` an operation uses, and which
of a schema's coordinates are deprecated.

Computed once per document (the counter caches it), from the parsed document alone: a field
counts as used when the operation selects it, whatever its resolver returns at run time.
Fields are named by the type the selection stands on (``Node.id`` for ``node { id }``,
``Track.name`` inside ``... on Track``), as Apollo's and Hive's field usage do.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
)


@dataclass(frozen=True, slots=True, eq=False)
class OperationUsage:
    """What one operation of one document uses. Compared by identity: it is a cache entry."""

    name: str  # "" for an anonymous operation
    coordinates: tuple[str, ...]


def field_coordinate(type_name: str, field: str) -> str:
    return f"{type_name}.{field}"


def argument_coordinate(type_name: str, field: str, argument: str) -> str:
    return f"{type_name}.{field}({argument}:)"


def operation_usage(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> OperationUsage | None:
    """The coordinates the chosen operation selects; None when the document has no such
    operation (the executor then refuses it, and nothing was used)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    found: set[str] = set()
    walked: set[str] = set()

    def walk(selection_set: SelectionSetNode, parent: GraphQLNamedType) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                # Meta fields (__typename, __schema, __type) are no part of the schema's API.
                if name.startswith("__") or not isinstance(
                    parent, GraphQLObjectType | GraphQLInterfaceType
                ):
                    continue
                definition = parent.fields.get(name)
                if definition is None:  # a valid document has none; be safe anyway
                    continue
                found.add(field_coordinate(parent.name, name))
                for argument in selection.arguments or ():
                    found.add(argument_coordinate(parent.name, name, argument.name.value))
                if selection.selection_set is not None:
                    walk(selection.selection_set, get_named_type(definition.type))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = schema.get_type(condition.name.value) if condition else parent
                if target is not None:
                    walk(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                fragment_name = selection.name.value
                fragment = fragments.get(fragment_name)
                # A fragment's coordinates do not depend on where it is spread: walk it once.
                if fragment is None or fragment_name in walked:
                    continue
                walked.add(fragment_name)
                target = schema.get_type(fragment.type_condition.name.value)
                if target is not None:
                    walk(fragment.selection_set, target)

    walk(operation.selection_set, root)
    name = operation.name.value if operation.name else ""
    return OperationUsage(name=name, coordinates=tuple(sorted(found)))


def deprecated_coordinates(schema: GraphQLSchema) -> dict[str, str]:
    """Every deprecated field and argument, with its reason: the coordinates usage counts
    (input fields and enum values arrive in variables too, which a document does not show)."""
    found: dict[str, str] = {}
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(
            named, GraphQLObjectType | GraphQLInterfaceType
        ):
            continue
        for field_name, field in named.fields.items():
            if field.deprecation_reason is not None:
                found[field_coordinate(type_name, field_name)] = field.deprecation_reason
            for arg_name, arg in field.args.items():
                if arg.deprecation_reason is not None:
                    found[argument_coordinate(type_name, field_name, arg_name)] = (
                        arg.deprecation_reason
                    )
    return found
