"""GraphiQL served from the gateway itself: vendored assets only, no CDN.

The page preloads the stakeholders' operations (one tab per `.graphql` file) so a developer
starts from the queries the apps really send. Assets come from `gateway.assets` (fetched by
`crossfade assets fetch`); the page's Content-Security-Policy forbids every other origin, so a
stray CDN reference would fail loudly in the browser instead of silently needing the internet.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from string import Template

from graphql import (
    GraphQLSyntaxError,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    TypeNode,
    parse,
    value_from_ast_untyped,
)
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.assets import VENDOR_DIR, VENDORED_FILES, assets_present
from gateway.config import OPERATIONS_DIR

STATIC_PREFIX = "/graphiql/static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
BOOT_SCRIPT = "crossfade-graphiql.js"

# The stakeholders' operations, kept verbatim in the repository next to the SDL.
DEFAULT_OPERATIONS_DIR = OPERATIONS_DIR

# Versioned URLs (?v=) make a year-long immutable cache safe.
IMMUTABLE = "public, max-age=31536000, immutable"
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# React and GraphiQL set inline style attributes, hence 'unsafe-inline' for styles only; the
# CSS embeds its fonts as data: URIs.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

# Sample values for required variables, by variable name, chosen to show something useful
# ("metalica" exercises the search backend's typo tolerance).
SAMPLE_VALUES: dict[str, object] = {
    "q": "metalica",
    "name": "Road trip",
    "description": "Made in GraphiQL",
}


def load_operations(operations_dir: Path | None) -> dict[str, str]:
    """Operation file stem -> document text, sorted by name; empty when the dir is absent."""
    if operations_dir is None or not operations_dir.is_dir():
        return {}
    return {path.stem: path.read_text() for path in sorted(operations_dir.glob("*.graphql"))}


def _placeholder(name: str, type_node: TypeNode) -> object:
    """A JSON value of the variable's shape that tells the user what to paste."""
    if isinstance(type_node, NonNullTypeNode):
        return _placeholder(name, type_node.type)
    if isinstance(type_node, ListTypeNode):
        return [_placeholder(name, type_node.type)]
    assert isinstance(type_node, NamedTypeNode)
    type_name = type_node.name.value
    if type_name in ("Int", "Float"):
        return 0
    if type_name == "Boolean":
        return False
    return f"<{name}>"


def example_variables(document: str) -> dict[str, object]:
    """Variables for every operation in document: defaults as declared, samples for the rest.

    Optional variables without a default are left out, so GraphiQL sends null for them.
    """
    try:
        ast = parse(document)
    except GraphQLSyntaxError:
        return {}
    variables: dict[str, object] = {}
    for definition in ast.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        for var in definition.variable_definitions or ():
            name = var.variable.name.value
            if var.default_value is not None:
                variables.setdefault(name, value_from_ast_untyped(var.default_value))
            elif isinstance(var.type, NonNullTypeNode):
                variables.setdefault(name, SAMPLE_VALUES.get(name, _placeholder(name, var.type)))
    return variables


def _script_json(value: object) -> str:
    # Inside <script> only "</" can end the block early; escaping <, > and & as \u00XX keeps
    # the JSON valid and makes any operation text inert.
    text = json.dumps(value, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@cache
def _template() -> Template:
    return Template((TEMPLATES_DIR / "graphiql.html").read_text())


@cache
def _boot_version() -> str:
    return hashlib.sha256((TEMPLATES_DIR / "graphiql.js").read_bytes()).hexdigest()[:12]


def asset_url(name: str) -> str:
    """The versioned local URL the page uses for a vendored file or the boot script."""
    version = _boot_version() if name == BOOT_SCRIPT else VENDORED_FILES[name]
    return f"{STATIC_PREFIX}/{name}?v={version}"


def graphiql_page(
    operations: Mapping[str, str],
    endpoint: str = "/graphql",
    *,
    variables: Mapping[str, Mapping[str, object]] | None = None,
    headers: Mapping[str, str] | None = None,
    vendor_dir: Path = VENDOR_DIR,
) -> HTMLResponse:
    """The GraphiQL page with one tab per operation document.

    Args:
        operations: tab name -> GraphQL document (see `load_operations`).
        endpoint: the URL GraphiQL POSTs to.
        variables: per tab name, values that replace the derived example variables (e.g. a
            real playlist ID the caller looked up).
        headers: request headers prefilled in every tab (e.g. a dev bearer token).
        vendor_dir: where `crossfade assets fetch` put the files.
    """
    if not assets_present(vendor_dir):
        return HTMLResponse(
            "<!doctype html><title>GraphiQL unavailable</title>"
            "<p>GraphiQL's assets are missing: run <code>crossfade assets fetch</code>.</p>",
            status_code=503,
        )
    overrides = variables or {}
    tabs = [
        {
            "query": document,
            "variables": json.dumps(
                {**example_variables(document), **overrides.get(name, {})}, indent=2
            ),
            **({"headers": json.dumps(dict(headers), indent=2)} if headers else {}),
        }
        for name, document in operations.items()
    ]
    html = _template().substitute(
        config=_script_json({"endpoint": endpoint, "tabs": tabs or None}),
        graphiql_css=asset_url("graphiql.min.css"),
        react_js=asset_url("react.production.min.js"),
        react_dom_js=asset_url("react-dom.production.min.js"),
        graphiql_js=asset_url("graphiql.min.js"),
        boot_js=asset_url(BOOT_SCRIPT),
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"})


def _static_endpoint(vendor_dir: Path) -> Route:
    files = {name: vendor_dir / name for name in VENDORED_FILES}
    files[BOOT_SCRIPT] = TEMPLATES_DIR / "graphiql.js"

    async def static(request: Request) -> Response:
        # An allow-list rather than StaticFiles: only these files exist, nothing else under
        # the package directory can be reached, and each gets an exact content type.
        path = files.get(request.path_params["name"])
        if path is None or not path.is_file():
            return PlainTextResponse("not found (run `crossfade assets fetch`?)", 404)
        media_type = CONTENT_TYPES[path.suffix]
        headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
        gzipped = path.with_name(path.name + ".gz")
        if "gzip" in request.headers.get("accept-encoding", "") and gzipped.is_file():
            headers["Content-Encoding"] = "gzip"
            return FileResponse(gzipped, media_type=media_type, headers=headers)
        return FileResponse(path, media_type=media_type, headers=headers)

    return Route(f"{STATIC_PREFIX}/{{name}}", static, methods=["GET", "HEAD"])


def graphiql_routes(
    *,
    operations_dir: Path | None = None,
    enabled: bool = True,
    endpoint: str = "/graphql",
    vendor_dir: Path = VENDOR_DIR,
) -> list[BaseRoute]:
    """Routes for the vendored assets and a standalone page at GET /graphiql.

    Returns no routes when disabled, so production can turn the IDE off entirely. The
    operations are read once, here, at start-up.
    """
    if not enabled:
        return []
    operations = load_operations(operations_dir)

    async def page(request: Request) -> Response:
        return graphiql_page(operations, endpoint, vendor_dir=vendor_dir)

    return [_static_endpoint(vendor_dir), Route("/graphiql", page, methods=["GET"])]
