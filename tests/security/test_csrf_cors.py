"""CSRF: what a browser can send cross-site without a preflight never executes. CORS: the
allow-list from settings decides which origins may read answers."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.config import Settings
from tests.support.app import Gateway, GatewayClient
from tests.support.store import STORE
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

ALLOWED = "https://app.crossfade.example"
EVIL = "https://evil.example"


def create_mutation(name: str) -> str:
    return f'mutation {{ createPlaylist(input: {{name: "{name}"}}) {{ playlist {{ id }} }} }}'


def playlists_named(db: Path, name: str) -> int:
    with sqlite3.connect(db) as conn:
        count: int = conn.execute(
            "SELECT count(*) FROM playlists WHERE name = ?", (name,)
        ).fetchone()[0]
    return count


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", "json"),
        ("text/plain;charset=UTF-8", "json"),
        ("application/x-www-form-urlencoded", "form"),
        ("multipart/form-data; boundary=xyz", "multipart"),
        (None, "json"),
    ],
    ids=["text-plain", "text-plain-charset", "form", "multipart", "no-content-type"],
)
async def test_posts_a_browser_sends_without_preflight_do_not_execute(
    client: httpx.AsyncClient, settings_env: Path, content_type: str | None, body: str
) -> None:
    # given a mutation a hostile page would like to run as the listener
    name = f"csrf-{uuid.uuid4().hex[:8]}"
    query = create_mutation(name)
    content = {
        "json": orjson.dumps({"query": query}),
        "form": f"query={query}".encode(),
        "multipart": (
            f'--xyz\r\nContent-Disposition: form-data; name="query"\r\n\r\n{query}\r\n--xyz--\r\n'
        ).encode(),
    }[body]
    headers = {**bearer("user-5"), **({"content-type": content_type} if content_type else {})}
    # when
    r = await client.post("/graphql", content=content, headers=headers)
    # then
    assert r.status_code == 415
    assert r.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "CSRF" in r.json()["errors"][0]["message"]
    assert playlists_named(settings_env / STORE, name) == 0


async def test_a_preflight_header_does_not_make_a_text_body_run(
    client: httpx.AsyncClient, settings_env: Path
) -> None:
    name = f"csrf-{uuid.uuid4().hex[:8]}"
    r = await client.post(
        "/graphql",
        content=orjson.dumps({"query": create_mutation(name)}),
        headers={**bearer("user-5"), "content-type": "text/plain", "apollo-require-preflight": "1"},
    )
    # past the CSRF check, but the view reads JSON bodies only
    assert r.status_code in {400, 415}
    assert "CSRF" not in r.json()["errors"][0]["message"]
    assert playlists_named(settings_env / STORE, name) == 0


async def test_json_posts_execute(client: httpx.AsyncClient, settings_env: Path) -> None:
    for content_type in ("application/json", "application/json; charset=utf-8"):
        name = f"csrf-{uuid.uuid4().hex[:8]}"
        r = await client.post(
            "/graphql",
            content=orjson.dumps({"query": create_mutation(name)}),
            headers={**bearer("user-5"), "content-type": content_type},
        )
        assert r.status_code == 200 and "errors" not in r.json(), r.text
        assert playlists_named(settings_env / STORE, name) == 1


async def test_mutations_over_get_do_not_execute_but_queries_do(
    client: httpx.AsyncClient, settings_env: Path
) -> None:
    name = f"csrf-{uuid.uuid4().hex[:8]}"
    r = await client.get(
        "/graphql", params={"query": create_mutation(name)}, headers=bearer("user-5")
    )
    assert r.status_code in {400, 405}
    assert r.json()["errors"][0]["extensions"]["code"]
    assert playlists_named(settings_env / STORE, name) == 0
    ok = await client.get(
        "/graphql", params={"query": "{ me { handle } }"}, headers=bearer("user-5")
    )
    assert ok.status_code == 200 and ok.json()["data"] == {"me": {"handle": "user-5"}}


@pytest.fixture
async def cors_client(gateway: Gateway) -> GatewayClient:
    return await gateway(cors_origins=[ALLOWED])


async def test_preflight_from_an_allowed_origin_is_answered(cors_client: httpx.AsyncClient) -> None:
    r = await cors_client.options(
        "/graphql",
        headers={
            "origin": ALLOWED,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type, "
            "apollo-require-preflight",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in r.headers["access-control-allow-methods"]
    allowed = r.headers["access-control-allow-headers"].lower()
    assert {"authorization", "content-type", "apollo-require-preflight"} <= {
        h.strip() for h in allowed.split(",")
    }
    assert r.headers["access-control-max-age"] == "600"
    assert "access-control-allow-credentials" not in r.headers


async def test_disallowed_origins_get_no_allow_origin_header(
    cors_client: httpx.AsyncClient,
) -> None:
    preflight = await cors_client.options(
        "/graphql",
        headers={"origin": EVIL, "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    r = await cors_client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": EVIL}
    )
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


async def test_allowed_origins_can_read_answers_and_refusals(
    cors_client: httpx.AsyncClient,
) -> None:
    r = await cors_client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": ALLOWED}
    )
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "x-request-id" in r.headers["access-control-expose-headers"].lower()
    refused = await cors_client.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"origin": ALLOWED, "authorization": "Bearer forged"},
    )
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ALLOWED


async def test_no_origin_is_allowed_by_default(client: httpx.AsyncClient) -> None:
    r = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": ALLOWED})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_cors_origins_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSFADE_CORS_ORIGINS", f"{ALLOWED}, https://admin.example")
    assert Settings().cors_origins == [ALLOWED, "https://admin.example"]
