"""The schema only declares: its fields call resolvers/ functions and do no I/O of their own.

No schema module reaches the per-request loaders, the backend clients or the process-wide
services (``info.context.loaders``, ``.clients``, ``.services``), nor imports the modules
that do the fetching (``resolvers.loaders``, ``resolvers.hydrate``, ``resolvers.clients``
other than its plain records).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SCHEMA = Path(__file__).resolve().parents[2] / "schema"
FORBIDDEN_ATTRIBUTES = frozenset({"loaders", "clients", "services"})
FORBIDDEN_MODULES = ("resolvers.loaders", "resolvers.hydrate", "resolvers.clients")
ALLOWED_MODULES = frozenset({"resolvers.clients.records"})


def violations(source: str, filename: str) -> Iterator[str]:
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            yield f"{filename}:{node.lineno}: uses .{node.attr}"
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            if module in ALLOWED_MODULES:
                continue
            if any(module == m or module.startswith(m + ".") for m in FORBIDDEN_MODULES):
                yield f"{filename}:{node.lineno}: imports {module}"


def test_schema_modules_do_no_io_of_their_own() -> None:
    found = [
        v
        for path in sorted(SCHEMA.rglob("*.py"))
        for v in violations(path.read_text(), str(path.relative_to(SCHEMA.parent)))
    ]
    assert not found, "schema/ reaches past resolvers/:\n" + "\n".join(found)


def test_the_check_sees_a_field_loading_by_itself() -> None:
    source = (
        "from resolvers.hydrate import track_views\n"
        "async def owner(info):\n"
        "    return await info.context.loaders.user_by_id.load(1)\n"
    )
    assert len(list(violations(source, "bad.py"))) == 2
