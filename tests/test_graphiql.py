"""GraphiQL is served from vendored assets only and opens on the stakeholders' operations."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from gateway.assets import VENDOR_DIR, AssetsError, assets_present, fetch_assets
from gateway.graphiql import (
    DEFAULT_OPERATIONS_DIR,
    example_variables,
    graphiql_page,
    graphiql_routes,
    load_operations,
)
from tests.support.repo import REPO
from tests.support.thread_server import serve_in_thread

STAKEHOLDER_OPERATIONS = ("HomeFeed", "Library", "MadeForYou", "Node", "Playlist", "Search")
CONFIG_BLOCK = re.compile(
    r'<script type="application/json" id="graphiql-config">(.*?)</script>', re.S
)
ASSET_REFERENCE = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.fixture(scope="session")
def vendor_dir() -> Path:
    # `make test` runs `crossfade assets fetch` first; this makes a bare `pytest` work too.
    return fetch_assets(VENDOR_DIR)


@pytest.fixture
def operations_dir(tmp_path: Path) -> Path:
    """The stakeholders' operations (schema/operations), or stand-ins where they are missing."""
    if DEFAULT_OPERATIONS_DIR.is_dir():
        return DEFAULT_OPERATIONS_DIR
    (tmp_path / "Playlist.graphql").write_text(
        "query Playlist($id: ID!) { playlist(id: $id) { id } }"
    )
    (tmp_path / "Search.graphql").write_text(
        "query Search($q: String!) { search(query: $q) { id } }"
    )
    return tmp_path


async def fake_graphql(request: Request) -> JSONResponse:
    return JSONResponse({"data": None, "errors": [{"message": "no schema in this test"}]})


def make_app(operations_dir: Path | None, vendor: Path = VENDOR_DIR) -> Starlette:
    routes = graphiql_routes(operations_dir=operations_dir, enabled=True, vendor_dir=vendor)
    return Starlette(routes=[*routes, Route("/graphql", fake_graphql, methods=["POST"])])


def page_config(html: str | bytes | memoryview) -> Any:
    """The JSON the page hands to GraphiQL."""
    text = html if isinstance(html, str) else bytes(html).decode()
    match = CONFIG_BLOCK.search(text)
    assert match is not None
    return json.loads(match.group(1))


def test_page_references_no_remote_url(vendor_dir: Path, operations_dir: Path) -> None:
    client = TestClient(make_app(operations_dir))

    response = client.get("/graphiql")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert re.search(r"https?://|//[a-z]", response.text, re.I) is None
    references = ASSET_REFERENCE.findall(response.text)
    assert len(references) == 5
    assert all(ref.startswith("/graphiql/static/") for ref in references)
    # The browser enforces it too: nothing may load from another origin.
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self';" in response.headers["content-security-policy"]


def test_every_referenced_asset_is_served_with_its_content_type(
    vendor_dir: Path, operations_dir: Path
) -> None:
    client = TestClient(make_app(operations_dir))
    html = client.get("/graphiql").text

    for ref in ASSET_REFERENCE.findall(html):
        vendored = not ref.startswith("/graphiql/static/crossfade")
        for encoding in ("gzip", "identity"):
            response = client.get(ref, headers={"Accept-Encoding": encoding})

            assert response.status_code == 200, ref
            expected = "text/css" if ref.split("?")[0].endswith(".css") else "text/javascript"
            assert response.headers["content-type"] == f"{expected}; charset=utf-8"
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            # Vendored files are served pre-gzipped; the small boot script is not worth it.
            served = encoding if vendored else "identity"
            assert response.headers.get("content-encoding", "identity") == served
            assert len(response.content) > (10_000 if vendored else 100)


def test_static_route_serves_only_the_allow_list(vendor_dir: Path) -> None:
    client = TestClient(make_app(None))

    for name in ("manifest.json", "graphiql.min.js.gz", "..%2F..%2Fpyproject.toml", "x.js"):
        assert client.get(f"/graphiql/static/{name}").status_code == 404, name


def test_operations_open_as_tabs_with_example_variables(
    vendor_dir: Path, operations_dir: Path
) -> None:
    client = TestClient(make_app(operations_dir))

    config = page_config(client.get("/graphiql").text)

    assert config["endpoint"] == "/graphql"
    tabs = config["tabs"]
    assert isinstance(tabs, list)
    queries = {re.findall(r"(?:query|mutation) (\w+)", tab["query"])[0]: tab for tab in tabs}
    expected = set(STAKEHOLDER_OPERATIONS) if operations_dir == DEFAULT_OPERATIONS_DIR else set()
    assert expected <= set(queries)
    assert set(json.loads(queries["Playlist"]["variables"])) >= {"id"}
    assert json.loads(queries["Search"]["variables"])["q"] == "metalica"


def test_example_variables_use_defaults_and_fill_required_ones() -> None:
    document = """
        query Playlist($id: ID!, $first: Int = 100, $after: String) { playlist(id: $id) { id } }
        mutation Add($playlistId: ID!, $trackIds: [ID!]!, $public: Boolean = false) { x }
    """

    variables = example_variables(document)

    assert variables == {
        "id": "<id>",
        "first": 100,
        "playlistId": "<playlistId>",
        "trackIds": ["<trackIds>"],
        "public": False,
    }


def test_caller_variables_and_headers_override_the_examples(vendor_dir: Path) -> None:
    operations = {"Playlist": "query Playlist($id: ID!) { playlist(id: $id) { id } }"}

    response = graphiql_page(
        operations, variables={"Playlist": {"id": "UGxheWxpc3Q6MQ=="}}, headers={"A": "b"}
    )

    (tab,) = page_config(response.body)["tabs"]
    assert json.loads(tab["variables"]) == {"id": "UGxheWxpc3Q6MQ=="}
    assert json.loads(tab["headers"]) == {"A": "b"}


def test_operation_text_cannot_close_the_script_block(vendor_dir: Path) -> None:
    operations = {"Evil": '# </script><script src="https://cdn.example/x.js"></script>\n{ a }'}

    html = bytes(graphiql_page(operations).body).decode()

    assert html.count("</script>") == 5  # the config block and the four script tags
    assert page_config(html)["tabs"][0]["query"] == operations["Evil"]


def test_without_operations_dir_the_page_has_no_tabs(vendor_dir: Path) -> None:
    assert load_operations(None) == {}
    assert load_operations(Path("/nonexistent")) == {}

    html = TestClient(make_app(None)).get("/graphiql").text

    assert page_config(html)["tabs"] is None


def test_disabled_graphiql_has_no_routes() -> None:
    assert graphiql_routes(operations_dir=DEFAULT_OPERATIONS_DIR, enabled=False) == []


def test_missing_assets_answer_503_with_the_fix(tmp_path: Path) -> None:
    client = TestClient(make_app(None, vendor=tmp_path))

    response = client.get("/graphiql")

    assert response.status_code == 503
    assert "crossfade assets fetch" in response.text


def test_fetch_is_a_no_op_when_checksums_match(vendor_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(vendor_dir, copy)

    # An npm that does not exist proves nothing was downloaded.
    assert fetch_assets(copy, npm="/nonexistent/npm") == copy


def test_a_tampered_file_is_not_taken_as_present(vendor_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(vendor_dir, copy)
    with (copy / "react.production.min.js").open("a") as file:
        file.write("// tampered")

    assert not assets_present(copy)


def test_fetch_without_npm_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gateway.assets.shutil.which", lambda name: None)

    with pytest.raises(AssetsError, match="npm not found"):
        fetch_assets(tmp_path)


@pytest.mark.slow
def test_fetch_downloads_and_verifies_the_pinned_tarballs(tmp_path: Path) -> None:
    dest = fetch_assets(tmp_path / "vendor")

    assert assets_present(dest)
    assert (dest / "graphiql.min.js").read_bytes().rstrip().endswith(b"graphiql.min.js.map")


# --- a real browser -------------------------------------------------------------------------


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = find_chromium()
    if path is None and os.geteuid() == 0:
        subprocess.run(["bash", str(REPO / "scripts/install_chromium.sh")], check=False)
        path = find_chromium()
    if path is None:
        pytest.skip("chromium is not installed and could not be (scripts/install_chromium.sh)")
    return path


@pytest.fixture
def served_url(vendor_dir: Path, operations_dir: Path) -> Iterator[str]:
    """The test app on a real loopback socket, served by uvicorn in a thread."""
    with serve_in_thread(make_app(operations_dir)) as base:
        yield f"{base}/graphiql"


@pytest.mark.slow
def test_graphiql_renders_in_headless_chromium(chromium: str, served_url: str) -> None:
    with tempfile.TemporaryDirectory(prefix="crossfade-chromium-") as profile:
        result = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                # Lets React mount before the DOM is dumped.
                "--virtual-time-budget=10000",
                "--dump-dom",
                served_url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    dom = result.stdout
    assert "graphiql-container" in dom, result.stderr[-2000:]
    assert "Loading GraphiQL" not in dom
    for name in ("Playlist", "Search"):
        assert f">{name}<" in dom
