"""Trusted documents in the ``apollo-persisted-query-manifest`` format: building one from
``.graphql`` files (``crossfade persist``) and loading one at start-up.

Each entry holds exactly one operation plus the fragments it uses, printed canonically, and
its ``id`` is the SHA-256 of that body, so a client can send either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    DefinitionNode,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    Node,
    OperationDefinitionNode,
    parse,
    print_ast,
    validate,
)

FORMAT = "apollo-persisted-query-manifest"
VERSION = 1


class ManifestError(Exception):
    """The manifest or a document that should go into one is unusable; the message says why."""


@dataclass(frozen=True, slots=True)
class ManifestOperation:
    id: str
    name: str
    type: str
    body: str

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "type": self.type, "body": self.body}


def document_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _spreads(node: Node) -> list[str]:
    """Fragment names spread anywhere under ``node``, in document order."""
    found: list[str] = []
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, FragmentSpreadNode):
            found.append(current.name.value)
        selection_set = getattr(current, "selection_set", None)
        if selection_set is not None:
            stack.extend(reversed(selection_set.selections))
    return found


def split_operations(source: str, *, origin: str) -> list[ManifestOperation]:
    """One entry per operation of ``source``, each with the fragments it uses (transitively)."""
    try:
        document = parse(source)
    except GraphQLError as exc:
        raise ManifestError(f"{origin}: {exc.message}") from None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations: list[ManifestOperation] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if definition.name is None:
            raise ManifestError(f"{origin}: every operation needs a name to be persisted")
        used: list[str] = []
        pending = _spreads(definition)
        while pending:
            name = pending.pop(0)
            if name in used:
                continue
            if name not in fragments:
                raise ManifestError(f"{origin}: unknown fragment {name!r}")
            used.append(name)
            pending += _spreads(fragments[name])
        nodes: list[DefinitionNode] = [definition, *(fragments[n] for n in used)]
        body = print_ast(DocumentNode(definitions=tuple(nodes)))
        operations.append(
            ManifestOperation(
                id=document_hash(body),
                name=definition.name.value,
                type=definition.operation.value,
                body=body,
            )
        )
    return operations


def build_manifest(paths: Iterable[Path], schema: GraphQLSchema | None = None) -> dict[str, object]:
    """The manifest for every operation in ``paths``, checked against ``schema`` if given."""
    operations: list[ManifestOperation] = []
    names: dict[str, Path] = {}
    for path in paths:
        try:
            source = path.read_text()
        except OSError as exc:
            raise ManifestError(f"{path}: {exc.strerror or exc}") from None
        for op in split_operations(source, origin=str(path)):
            if op.name in names:
                raise ManifestError(f"{path}: operation {op.name!r} is also in {names[op.name]}")
            names[op.name] = path
            if schema is not None:
                errors = validate(schema, parse(op.body))
                if errors:
                    raise ManifestError(f"{path}: {op.name}: {errors[0].message}")
            operations.append(op)
    return {"format": FORMAT, "version": VERSION, "operations": [o.as_json() for o in operations]}


def load_manifest(path: Path) -> dict[str, str]:
    """``id → body`` of a manifest file, refusing anything that is not a sound manifest."""
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ManifestError(f"{path}: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError as exc:
        raise ManifestError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ManifestError(f"{path}: not an {FORMAT!r} file")
    if data.get("version") != VERSION:
        raise ManifestError(f"{path}: unsupported manifest version {data.get('version')!r}")
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError(f"{path}: 'operations' must be a list")
    documents: dict[str, str] = {}
    for index, entry in enumerate(operations):
        body = entry.get("body") if isinstance(entry, Mapping) else None
        op_id = entry.get("id") if isinstance(entry, Mapping) else None
        if not isinstance(body, str) or not isinstance(op_id, str):
            raise ManifestError(f"{path}: operation {index} needs a string 'id' and 'body'")
        if document_hash(body) != op_id:
            raise ManifestError(f"{path}: operation {index}'s id is not the SHA-256 of its body")
        documents[op_id] = body
    return documents
