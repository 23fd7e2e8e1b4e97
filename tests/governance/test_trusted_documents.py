"""Trusted documents: `crossfade persist` builds the manifest; with it, only its operations run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.cli import main
from gateway.governance.manifest import ManifestError, load_manifest
from tests.support.app import Gateway
from tests.support.calls import CallMeter
from tests.support.graphql import USER, document_hash, persisted_query, post
from tests.support.repo import OPERATIONS

TWO_OPERATIONS = """
query TrackPage($id: ID!) { node(id: $id) { ...TrackFields } }
query ArtistPage($id: ID!) { node(id: $id) { ... on Artist { name } } }
fragment TrackFields on Track { name album { ...AlbumFields } }
fragment AlbumFields on Album { name }
fragment Unused on Artist { name }
"""


def persist(tmp_path: Path, *files: Path) -> dict[str, Any]:
    out = tmp_path / "manifest.json"
    assert main(["persist", str(out), *map(str, files)]) == 0
    manifest: dict[str, Any] = orjson.loads(out.read_bytes())
    return manifest


def test_persist_splits_each_operation_with_the_fragments_it_uses(tmp_path: Path) -> None:
    source = tmp_path / "Pages.graphql"
    source.write_text(TWO_OPERATIONS)
    manifest = persist(tmp_path, source)
    assert manifest["format"] == "apollo-persisted-query-manifest"
    assert manifest["version"] == 1
    by_name = {op["name"]: op for op in manifest["operations"]}
    assert set(by_name) == {"TrackPage", "ArtistPage"}
    track = by_name["TrackPage"]["body"]
    assert "fragment TrackFields" in track and "fragment AlbumFields" in track
    assert "fragment" not in by_name["ArtistPage"]["body"]
    assert all("Unused" not in op["body"] for op in manifest["operations"])
    for op in manifest["operations"]:
        assert op["type"] == "query"
        assert op["id"] == document_hash(op["body"])


def test_persist_splits_the_playlist_edits_into_four_mutations(tmp_path: Path) -> None:
    manifest = persist(tmp_path, *sorted(OPERATIONS.glob("*.graphql")))
    edits = [op for op in manifest["operations"] if op["type"] == "mutation"]
    assert [op["name"] for op in edits] == [
        "CreatePlaylist",
        "AddTracks",
        "RemoveTracks",
        "RecordPlay",
    ]
    assert len(manifest["operations"]) == 10
    assert all(op["body"].count("mutation ") == 1 for op in edits)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{ me { id } }", "needs a name"),
        ("query Bad { me { nope } }", "Cannot query field 'nope'"),
        ("query Broken { me {", "Syntax Error"),
        ("query A { me { ...Missing } }", "unknown fragment"),
    ],
)
def test_persist_refuses_what_could_never_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    path = tmp_path / "bad.graphql"
    path.write_text(source)
    assert main(["persist", str(tmp_path / "m.json"), str(path)]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def test_a_manifest_whose_ids_do_not_match_is_refused_at_start_up(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(
        orjson.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "0" * 64, "name": "X", "type": "query", "body": "{ a }"}],
            }
        )
    )
    with pytest.raises(ManifestError, match="not the SHA-256"):
        load_manifest(path)
    with pytest.raises(ManifestError, match="not JSON"):
        path.write_text("nope")
        load_manifest(path)


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    persist(tmp_path, *sorted(OPERATIONS.glob("*.graphql")))
    return tmp_path / "manifest.json"


def entry(manifest_path: Path, name: str) -> dict[str, str]:
    manifest = orjson.loads(manifest_path.read_bytes())
    found: dict[str, str] = next(op for op in manifest["operations"] if op["name"] == name)
    return found


@pytest.mark.anyio
async def test_persisted_only_mode_runs_manifest_operations_by_hash(
    gateway: Gateway, manifest_path: Path
) -> None:
    search = entry(manifest_path, "Search")
    client = await gateway(trusted_documents=manifest_path)
    r = await post(
        client,
        {"variables": {"q": "metalica"}, "extensions": persisted_query(search["id"])},
        user=USER,
    )
    # The identical body is the same trusted document.
    by_body = await post(
        client, {"query": search["body"], "variables": {"q": "metalica"}}, user=USER
    )
    assert r.status_code == 200 and "errors" not in r.json()
    assert r.json()["data"]["search"]["topResult"]["name"] == "Metallica"
    assert by_body.json()["data"] == r.json()["data"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "request_body",
    [
        {"query": "{ home { greeting } }"},  # ad hoc
        {"extensions": persisted_query("ab" * 32)},  # a hash outside the manifest
        # APQ registration is off: a new query cannot be smuggled in with its own hash.
        {
            "query": "{ home { greeting } }",
            "extensions": persisted_query(document_hash("{ home { greeting } }")),
        },
    ],
)
async def test_persisted_only_mode_refuses_everything_else_before_any_backend_call(
    gateway: Gateway, manifest_path: Path, request_body: dict[str, object]
) -> None:
    client = await gateway(trusted_documents=manifest_path)
    with CallMeter() as meter:
        r = await post(client, request_body, user=USER)
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    assert meter.total == 0
