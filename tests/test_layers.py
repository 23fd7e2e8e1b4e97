"""The layers point one way (docs/architecture.md, "Layers"): a wrong-way import fails here.

Every import counts, wherever it stands: at module level, inside a function, or under
``TYPE_CHECKING`` (a type-only import still ties the two modules' designs together).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "schema", "resolvers", "ranking", "backends", "batch")

# Which layers each layer may import (itself included). Read top to bottom: a layer only
# reaches down. `clients` is resolvers/clients/, the lower layer of resolvers/.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "gateway": frozenset(
        {"gateway", "schema", "resolvers", "clients", "ranking", "backends", "batch"}
    ),
    "schema": frozenset({"schema", "resolvers", "clients"}),
    "resolvers": frozenset({"resolvers", "clients", "ranking"}),
    "clients": frozenset({"clients"}),
    # The Spark jobs write what serving reads: ranking artifacts and the store's mixes.
    "batch": frozenset({"batch", "ranking", "backends"}),
    "ranking": frozenset({"ranking"}),
    "backends": frozenset({"backends"}),
}
# The gateway runs the reference backends in process and serves them from its CLI; anywhere
# else it reaches them only through its httpx clients (and reads their names).
BACKEND_IMPORTERS = frozenset(
    {
        "gateway.upstreams",
        "gateway.commands.server",
        "gateway.commands.data",
        "gateway.commands.spark",
    }
)
BACKEND_NAMES = "backends.names"
# Only the batch commands start Spark; the gateway's serving code never imports pyspark.
BATCH_IMPORTERS = frozenset({"gateway.commands.spark", "gateway.commands.model"})
# Packages whose modules must form no import cycle. schema/ is left out on purpose: GraphQL
# types refer to each other (Playlist.owner is a User, User.playlists are Playlists), which
# Strawberry resolves with `strawberry.lazy`.
ACYCLIC = ("gateway", "resolvers", "ranking", "backends", "batch")


def layer(module: str) -> str:
    if module == "resolvers.clients" or module.startswith("resolvers.clients."):
        return "clients"
    return module.split(".", 1)[0]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    }


def imports(module: str, path: Path, known: frozenset[str]) -> Iterator[tuple[str, int]]:
    """Project modules that ``module`` imports, with the line, resolving relative imports.

    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module of
    ``known``, else ``pkg`` (Python runs every parent package's ``__init__`` in both cases;
    that implicit step is not a design decision and is not counted).
    """
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                if path.name != "__init__.py":
                    anchor = anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            if name.split(".", 1)[0] in PACKAGES:
                yield name, node.lineno


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = frozenset(modules)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for name, _ in imports(module, path, known):
            if name in modules and name != module:
                edges[module].add(name)
    return edges


def test_every_import_points_down_the_layers() -> None:
    modules = project_modules()
    known = frozenset(modules)
    wrong = []
    for module, path in modules.items():
        here = layer(module)
        for name, line in imports(module, path, known):
            there = layer(name)
            allowed = there in MAY_IMPORT[here]
            if there == "backends" and here == "gateway":
                allowed = name == BACKEND_NAMES or module in BACKEND_IMPORTERS
            if there == "batch" and here == "gateway":
                allowed = module in BATCH_IMPORTERS
            if not allowed:
                wrong.append(f"{path.relative_to(REPO)}:{line}: {here} imports {there} ({name})")
    assert not wrong, "wrong-way imports:\n" + "\n".join(wrong)


def test_middleware_does_not_import_the_view() -> None:
    modules = project_modules()
    wrong = [
        f"{module} imports {name}"
        for module, path in modules.items()
        if module.startswith("gateway.middleware")
        for name, _ in imports(module, path, frozenset(modules))
        if name == "gateway.view"
    ]
    assert not wrong


def _cycle(edges: dict[str, set[str]], scope: str) -> list[str] | None:
    """One import cycle among the modules of package ``scope``, or None."""
    inside = {m for m in edges if m == scope or m.startswith(scope + ".")}
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node] & inside):
            if colour.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in colour and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return None

    for start in sorted(inside):
        if start not in colour and (found := visit(start)):
            return found
    return None


@pytest.mark.parametrize("package", ACYCLIC)
def test_no_import_cycle(package: str) -> None:
    cycle = _cycle(graph(), package)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_loading_settings_imports_no_resolver_or_schema_module() -> None:
    script = (
        "import sys; from gateway.config import Settings; Settings(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('resolvers', 'schema')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_the_checker_sees_a_wrong_way_import(tmp_path: Path) -> None:
    # given a client-layer module that reaches up into a resolver
    path = tmp_path / "bad.py"
    path.write_text("from resolvers.context import Context\n")
    # when / then
    known = frozenset(project_modules())
    found = [layer(name) for name, _ in imports("resolvers.clients.bad", path, known)]
    assert "resolvers" in found and "resolvers" not in MAY_IMPORT["clients"]


def test_the_gateway_and_its_command_line_import_no_spark() -> None:
    # pyspark loads only when a batch command runs: serving and `crossfade --help` never pay
    # for it (nor need the `spark` extra installed).
    script = (
        "import sys; import gateway.app, gateway.cli; gateway.cli.parser(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('batch', 'pyspark')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
