"""What changed between two schemas, and which schema coordinates each breaking change touches.

graphql-core classifies the changes (``find_schema_changes``: breaking, dangerous, safe); its
descriptions name the types, fields and arguments in schema-coordinate form
(``Field Track.name was removed.``), from which the coordinates whose use it breaks follow.
tests/schema_checks/test_schema_changes.py pins every breaking kind's wording, so a
graphql-core release that rewords one fails there instead of going unnoticed here. Changes of
deprecation, which graphql-core does not report, are added as safe changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)
from graphql.utilities.find_schema_changes import (
    BreakingChangeType,
    DangerousChangeType,
    find_schema_changes,
)

from gateway.usage.coordinates import argument_coordinate, field_coordinate

_NAME = r"([_A-Za-z][_0-9A-Za-z]*)"
# Per breaking kind: the description's pattern (graphql-core 3.3 wording).
_PATTERNS: dict[BreakingChangeType, re.Pattern[str]] = {
    BreakingChangeType.FIELD_REMOVED: re.compile(rf"^Field {_NAME}\.{_NAME} was removed\."),
    BreakingChangeType.FIELD_CHANGED_KIND: re.compile(rf"^Field {_NAME}\.{_NAME} changed type"),
    BreakingChangeType.REQUIRED_ARG_ADDED: re.compile(
        rf"^A required argument {_NAME}\.{_NAME}\({_NAME}:\) was added\."
    ),
    BreakingChangeType.ARG_REMOVED: re.compile(
        rf"^Argument {_NAME}\.{_NAME}\({_NAME}:\) was removed\."
    ),
    BreakingChangeType.ARG_CHANGED_KIND: re.compile(
        rf"^Argument {_NAME}\.{_NAME}\({_NAME}:\) has changed type"
    ),
    BreakingChangeType.TYPE_REMOVED: re.compile(rf"^(?:Standard scalar )?{_NAME} was removed"),
    BreakingChangeType.TYPE_CHANGED_KIND: re.compile(rf"^{_NAME} changed from"),
    BreakingChangeType.TYPE_REMOVED_FROM_UNION: re.compile(
        rf"^{_NAME} was removed from union type {_NAME}\."
    ),
    BreakingChangeType.VALUE_REMOVED_FROM_ENUM: re.compile(
        rf"^Enum value {_NAME}\.{_NAME} was removed\."
    ),
    BreakingChangeType.REQUIRED_INPUT_FIELD_ADDED: re.compile(
        rf"^A required field {_NAME}\.{_NAME} was added\."
    ),
    BreakingChangeType.IMPLEMENTED_INTERFACE_REMOVED: re.compile(
        rf"^{_NAME} no longer implements interface {_NAME}\."
    ),
}
# Directives in operations are not counted: their changes are reported, usage unknown.
_DIRECTIVE_KINDS = frozenset(
    {
        BreakingChangeType.DIRECTIVE_REMOVED,
        BreakingChangeType.DIRECTIVE_ARG_REMOVED,
        BreakingChangeType.REQUIRED_DIRECTIVE_ARG_ADDED,
        BreakingChangeType.DIRECTIVE_REPEATABLE_REMOVED,
        BreakingChangeType.DIRECTIVE_LOCATION_REMOVED,
    }
)


@dataclass(frozen=True, slots=True)
class Change:
    """One change; for a breaking one, what its use looks like in the usage data."""

    kind: str  # "breaking", "dangerous" or "safe"
    type: str  # graphql-core's change type name, or DEPRECATION_ADDED / _REMOVED / _CHANGED
    description: str
    # Coordinates whose use the change breaks; `types`: any coordinate on these types.
    coordinates: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    # False: a kind usage is not counted for (directives); None: unreadable description.
    tracked: bool | None = True
    # Removes a field, argument or enum value the base schema did not mark @deprecated.
    removes_undeprecated: bool = False

    def touches(self, coordinate: str) -> bool:
        return coordinate in self.coordinates or coordinate.split(".", 1)[0] in self.types


def _input_holders(schema: GraphQLSchema, name: str) -> set[str]:
    """``name`` and every input type that holds it, however deeply."""
    holders = {name}
    grew = True
    while grew:
        grew = False
        for type_name, named in schema.type_map.items():
            if type_name in holders or not isinstance(named, GraphQLInputObjectType):
                continue
            if any(get_named_type(f.type).name in holders for f in named.fields.values()):
                holders.add(type_name)
                grew = True
    return holders


def references(schema: GraphQLSchema, name: str) -> set[str]:
    """Coordinates through which an operation reaches type ``name``: fields returning it,
    arguments taking it (or an input type holding it)."""
    inputs = _input_holders(schema, name)
    found: set[str] = set()
    for type_name, named in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(
            named, GraphQLObjectType | GraphQLInterfaceType
        ):
            continue
        for field_name, field in named.fields.items():
            if get_named_type(field.type).name == name:
                found.add(field_coordinate(type_name, field_name))
            for arg_name, arg in field.args.items():
                if get_named_type(arg.type).name in inputs:
                    found.add(argument_coordinate(type_name, field_name, arg_name))
    return found


def _deprecated_in(base: GraphQLSchema, type_name: str, member: str, arg: str | None) -> bool:
    named = base.get_type(type_name)
    if isinstance(named, GraphQLEnumType):
        value = named.values.get(member)
        return value is not None and value.deprecation_reason is not None
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        field = named.fields.get(member)
        if field is None:
            return False
        if arg is None:
            return field.deprecation_reason is not None
        argument = getattr(field, "args", {}).get(arg)
        return argument is not None and argument.deprecation_reason is not None
    return False


def _breaking(base: GraphQLSchema, kind: BreakingChangeType, description: str) -> Change:
    if kind in _DIRECTIVE_KINDS:
        return Change("breaking", kind.name, description, tracked=False)
    pattern = _PATTERNS.get(kind)
    match = pattern.match(description) if pattern is not None else None
    if match is None:
        return Change("breaking", kind.name, description, tracked=None)
    names = match.groups()
    B = BreakingChangeType
    if kind in (B.FIELD_REMOVED, B.FIELD_CHANGED_KIND):
        type_name, field_name = names
        if isinstance(base.get_type(type_name), GraphQLInputObjectType):
            # Input fields arrive in arguments (and variables): their arguments' use counts.
            coordinates = references(base, type_name)
        else:
            coordinates = {field_coordinate(type_name, field_name)}
        return Change(
            "breaking",
            kind.name,
            description,
            coordinates=frozenset(coordinates),
            removes_undeprecated=kind == B.FIELD_REMOVED
            and not _deprecated_in(base, type_name, field_name, None),
        )
    if kind == B.REQUIRED_ARG_ADDED:
        type_name, field_name, _ = names
        return Change(
            "breaking",
            kind.name,
            description,
            coordinates=frozenset({field_coordinate(type_name, field_name)}),
        )
    if kind in (B.ARG_REMOVED, B.ARG_CHANGED_KIND):
        type_name, field_name, arg_name = names
        return Change(
            "breaking",
            kind.name,
            description,
            coordinates=frozenset({argument_coordinate(type_name, field_name, arg_name)}),
            removes_undeprecated=kind == B.ARG_REMOVED
            and not _deprecated_in(base, type_name, field_name, arg_name),
        )
    if kind == B.VALUE_REMOVED_FROM_ENUM:
        type_name, value_name = names
        return Change(
            "breaking",
            kind.name,
            description,
            coordinates=frozenset(references(base, type_name)),
            removes_undeprecated=not _deprecated_in(base, type_name, value_name, None),
        )
    if kind in (B.TYPE_REMOVED, B.TYPE_CHANGED_KIND):
        (type_name,) = names
        return Change(
            "breaking",
            kind.name,
            description,
            coordinates=frozenset(references(base, type_name)),
            types=frozenset({type_name}),
        )
    # TYPE_REMOVED_FROM_UNION, IMPLEMENTED_INTERFACE_REMOVED, REQUIRED_INPUT_FIELD_ADDED:
    # what breaks is reaching the union, interface or input type at all.
    holder = names[1] if kind != B.REQUIRED_INPUT_FIELD_ADDED else names[0]
    return Change(
        "breaking", kind.name, description, coordinates=frozenset(references(base, holder))
    )


def _deprecations(base: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    """Fields, arguments, input fields and enum values whose deprecation changed."""
    members: list[tuple[str, str | None, str | None]] = []  # (coordinate, before, after)
    for type_name, old in base.type_map.items():
        now = new.type_map.get(type_name)
        if type_name.startswith("__") or now is None or type(now) is not type(old):
            continue
        if isinstance(old, GraphQLEnumType):
            assert isinstance(now, GraphQLEnumType)
            for value_name, value in old.values.items():
                if value_name in now.values:
                    after = now.values[value_name].deprecation_reason
                    members.append(
                        (field_coordinate(type_name, value_name), value.deprecation_reason, after)
                    )
        elif isinstance(old, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            fields_now = now.fields  # type: ignore[attr-defined]
            for field_name, field in old.fields.items():
                field_now = fields_now.get(field_name)
                if field_now is None:
                    continue
                members.append(
                    (
                        field_coordinate(type_name, field_name),
                        field.deprecation_reason,
                        field_now.deprecation_reason,
                    )
                )
                args_now = getattr(field_now, "args", {})
                for arg_name, arg in getattr(field, "args", {}).items():
                    if arg_name in args_now:
                        members.append(
                            (
                                argument_coordinate(type_name, field_name, arg_name),
                                arg.deprecation_reason,
                                args_now[arg_name].deprecation_reason,
                            )
                        )
    changes = []
    for coordinate, before, after in members:
        if before == after:
            continue
        if before is None:
            kind, text = "DEPRECATION_ADDED", f"{coordinate} is now @deprecated ({after})."
        elif after is None:
            kind, text = "DEPRECATION_REMOVED", f"{coordinate} is no longer deprecated."
        else:
            kind, text = "DEPRECATION_CHANGED", f"{coordinate}'s deprecation now reads ({after})."
        changes.append(Change("safe", kind, text))
    return changes


def schema_changes(base: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    """Every change from ``base`` to ``new``: breaking first, then dangerous, then safe."""
    breaking: list[Change] = []
    dangerous: list[Change] = []
    safe: list[Change] = []
    for change in find_schema_changes(base, new):
        if isinstance(change.type, BreakingChangeType):
            breaking.append(_breaking(base, change.type, change.description))
        elif isinstance(change.type, DangerousChangeType):
            dangerous.append(Change("dangerous", change.type.name, change.description))
        else:
            safe.append(Change("safe", change.type.name, change.description))
    return breaking + dangerous + safe + _deprecations(base, new)
