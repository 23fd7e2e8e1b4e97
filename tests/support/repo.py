"""Where things are in the checkout: the repository root, the SDL and the stakeholders'
operations (schema/operations/*.graphql, the documents clients send verbatim)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SDL = REPO / "schema" / "schema.graphql"
OPERATIONS = REPO / "schema" / "operations"


def operation(name: str) -> str:
    """The text of ``schema/operations/{name}.graphql``."""
    return (OPERATIONS / f"{name}.graphql").read_text()
