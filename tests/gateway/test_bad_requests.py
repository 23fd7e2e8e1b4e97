"""Malformed and hostile requests, each refused clearly through the real HTTP stack.

Every case gets the right HTTP status or a GraphQL error with ``extensions.code``; never a
5xx, never a traceback in the body, and nothing logged at WARNING or above: a client's
mistake is not a server error. One test sends the same refusals to a real uvicorn process.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from resolvers.global_id import to_global_id
from tests.support.app import Gateway, GatewayClient
from tests.support.graphql import payload_bytes
from tests.support.process import gateway_process
from tests.support.repo import operation
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

MIB = 1024 * 1024
TRACK_1 = to_global_id("Track", 1)
PLAYLIST_1 = to_global_id("Playlist", 1)


@dataclass(frozen=True)
class Case:
    """One bad request and the refusal it must get."""

    name: str
    status: int
    code: str
    method: str = "POST"
    body: bytes | None = None
    content_type: str | None = "application/json"
    params: dict[str, str] = field(default_factory=dict)
    allow: str | None = None


ME = "{ me { id } }"
SEARCH = "query($q: String!) { search(query: $q) { query } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
CREATE = 'mutation {{ createPlaylist(input: {{name: "{}"}}) {{ playlist {{ id }} }} }}'
RECORD_PLAY = 'mutation {{ recordPlay(input: {{trackId: "{}"}}) {{ playedAt }} }}'
EDITS = operation("PlaylistEdits")
# 17 levels against a limit of 12.
DEEP = "{ me { " + "playlists { edges { node { owner { " * 4 + "id" + " }" * 18
ALIASES = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
TOKENS = "{ " + "__typename " * 2100 + "}"

# Refused at the HTTP level, before any GraphQL work.
HTTP_CASES = [
    Case("non-JSON body", 400, "BAD_REQUEST", body=b"{nope"),
    Case("JSON string body", 400, "BAD_REQUEST", body=b"ME"),
    Case("JSON number body", 400, "BAD_REQUEST", body=b"42"),
    Case("JSON null body", 400, "BAD_REQUEST", body=b"null"),
    Case("empty body", 400, "BAD_REQUEST", body=b""),
    Case("missing query", 400, "BAD_REQUEST", body=orjson.dumps({"variables": {}})),
    Case("null query", 400, "BAD_REQUEST", body=orjson.dumps({"query": None})),
    Case("non-string query", 400, "BAD_REQUEST", body=orjson.dumps({"query": [ME]})),
    Case(
        "variables not an object",
        400,
        "BAD_REQUEST",
        body=orjson.dumps({"query": ME, "variables": [1]}),
    ),
    Case(
        "unknown operationName",
        400,
        "BAD_REQUEST",
        body=payload_bytes("query A { me { id } }", operationName="B"),
    ),
    Case(
        "non-string operationName",
        400,
        "BAD_REQUEST",
        body=payload_bytes("query A { me { id } }", operationName=7),
    ),
    Case("empty batch", 400, "BAD_REQUEST", body=b"[]"),
    Case("truncated batch", 400, "BAD_REQUEST", body=b'[{"query": "{ me { id } }"}'),
    Case("batch over the maximum", 400, "BATCH_TOO_LARGE", body=orjson.dumps([{"query": ME}] * 11)),
    Case(
        "oversized batch of mutations",
        400,
        "BATCH_TOO_LARGE",
        body=orjson.dumps([{"query": CREATE.format("batch")}] * 500),
    ),
    Case("batch of strings", 400, "BAD_REQUEST", body=orjson.dumps([{"query": ME}, ME])),
    Case("batch holding null", 400, "BAD_REQUEST", body=orjson.dumps([{"query": ME}, None])),
    Case("batch of batches", 400, "BAD_REQUEST", body=orjson.dumps([[{"query": ME}]])),
    Case(
        "no content type", 415, "UNSUPPORTED_MEDIA_TYPE", body=payload_bytes(ME), content_type=None
    ),
    Case(
        "application/graphql",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        body=b"{ me { id } }",
        content_type="application/graphql",
    ),
    Case(
        "json-like type",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        body=payload_bytes(ME),
        content_type="application/jsonx",
    ),
    Case(
        "mutation over GET",
        405,
        "METHOD_NOT_ALLOWED",
        method="GET",
        params={"query": RECORD_PLAY.format(TRACK_1)},
        allow="POST",
    ),
    Case("PUT", 405, "METHOD_NOT_ALLOWED", method="PUT", body=payload_bytes(ME), allow="GET, POST"),
    Case(
        "GET with unparsable variables",
        400,
        "BAD_REQUEST",
        method="GET",
        params={"query": ME, "variables": "{x"},
    ),
    Case("body over 1 MiB", 413, "PAYLOAD_TOO_LARGE", body=payload_bytes(ME, pad="x" * MIB)),
]

# Well-formed requests that GraphQL refuses: HTTP 200 with a coded error and no data.
GRAPHQL_CASES = [
    Case("syntax error", 200, "GRAPHQL_PARSE_FAILED", body=payload_bytes("{ me { id ")),
    Case(
        "unknown field", 200, "GRAPHQL_VALIDATION_FAILED", body=payload_bytes("{ me { password } }")
    ),
    Case(
        "unknown argument",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        body=payload_bytes('{ search(q: "x") { query } }'),
    ),
    Case(
        "subscription",
        200,
        "GRAPHQL_VALIDATION_FAILED",
        body=payload_bytes("subscription { me { id } }"),
    ),
    Case("wrong variable type", 200, "BAD_USER_INPUT", body=payload_bytes(SEARCH, {"q": 5})),
    Case("missing required variable", 200, "BAD_USER_INPUT", body=payload_bytes(SEARCH, {})),
    Case(
        "Int variable overflow",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes(
            "query($n: Int) { me { playlists(first: $n) { totalCount } } }", {"n": 2**40}
        ),
    ),
    Case(
        "null in a non-null list variable",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes(NODES, {"ids": [None]}),
    ),
    Case("query depth", 200, "QUERY_TOO_COMPLEX", body=payload_bytes(DEEP)),
    Case("alias count", 200, "QUERY_TOO_COMPLEX", body=payload_bytes(ALIASES)),
    Case("token count", 200, "QUERY_TOO_COMPLEX", body=payload_bytes(TOKENS)),
]

# Executed, and refused by a resolver: the field is null and its error has a code and a path.
FIELD_CASES = [
    Case(
        "global ID not base64",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes(operation("Node"), {"id": "definitely-not-base64!"}),
    ),
    Case(
        "global ID of an unknown type",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes(operation("Node"), {"id": to_global_id("Password", 1)}),
    ),
    Case(
        "Track ID where a Playlist ID goes",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes(operation("Playlist"), {"id": TRACK_1}),
    ),
    Case(
        "non-numeric playlist key",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes(
            EDITS,
            {"playlistId": to_global_id("Playlist", "x"), "trackIds": [TRACK_1]},
            operationName="AddTracks",
        ),
    ),
    Case(
        "Playlist ID where a Track ID goes",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes(EDITS, {"trackId": PLAYLIST_1}, operationName="RecordPlay"),
    ),
    Case(
        "page size above the maximum",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes("{ me { playlists(first: 101) { totalCount } } }"),
    ),
    Case(
        "negative page size",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes("{ me { likedTracks(first: -1) { totalCount } } }"),
    ),
    Case(
        "forged cursor",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes('{ me { likedTracks(after: "Zm9yZ2Vk") { totalCount } } }'),
    ),
    Case(
        "too many IDs",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes(NODES, {"ids": [to_global_id("Track", i) for i in range(1, 200)]}),
    ),
    Case(
        "empty track list",
        200,
        "BAD_USER_INPUT",
        body=payload_bytes(
            EDITS, {"playlistId": PLAYLIST_1, "trackIds": []}, operationName="AddTracks"
        ),
    ),
]


async def _send(client: httpx.AsyncClient, case: Case) -> httpx.Response:
    headers = bearer("user-1")
    if case.content_type is not None:
        headers["content-type"] = case.content_type
    return await client.request(
        case.method, "/graphql", content=case.body, params=case.params, headers=headers
    )


def _assert_refused(response: httpx.Response, case: Case) -> dict[str, Any]:
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text and 'File "' not in response.text
    body: dict[str, Any] = response.json()
    codes = [e["extensions"]["code"] for e in body["errors"]]
    assert codes and set(codes) == {case.code}, body
    if case.allow is not None:
        assert response.headers["allow"] == case.allow
    return body


def _server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("case", HTTP_CASES + GRAPHQL_CASES, ids=lambda c: c.name)
async def test_bad_request_is_refused_with_a_code(
    client: httpx.AsyncClient, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = _assert_refused(await _send(client, case), case)
    assert body.get("data") is None
    assert _server_errors(caplog) == []


@pytest.mark.parametrize("case", FIELD_CASES, ids=lambda c: c.name)
async def test_bad_argument_nulls_the_field_with_a_code(
    client: httpx.AsyncClient, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = _assert_refused(await _send(client, case), case)
    assert all(e["path"] for e in body["errors"])
    assert _server_errors(caplog) == []


MULTIPART = '--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n{}\r\n--x--\r\n'


def _playlists_named(data_dir: Path, name: str) -> int:
    with sqlite3.connect(data_dir / "crossfade.db") as conn:
        (count,) = conn.execute("SELECT count(*) FROM playlists WHERE name = ?", (name,)).fetchone()
    return int(count)


@pytest.mark.parametrize(
    ("content_type", "encode"),
    [
        ("text/plain", lambda q: orjson.dumps({"query": q})),
        ("text/plain;charset=UTF-8", lambda q: orjson.dumps({"query": q})),
        ("application/x-www-form-urlencoded", lambda q: str(httpx.QueryParams(query=q)).encode()),
        ("multipart/form-data; boundary=x", lambda q: MULTIPART.format(q).encode()),
    ],
    ids=["text", "text-charset", "form", "multipart"],
)
async def test_a_mutation_a_browser_could_send_cross_site_does_not_run(
    client: httpx.AsyncClient, data_dir: Path, content_type: str, encode: Callable[[str], bytes]
) -> None:
    # given a mutation that would leave a trace in the store
    name = f"cross-site-{uuid.uuid4().hex[:8]}"
    query = CREATE.format(name)
    # when it arrives in a body type HTML forms and fetch() send without a preflight
    response = await client.post(
        "/graphql",
        content=encode(query),
        headers={"content-type": content_type, **bearer("user-1")},
    )
    # then it is refused (415 here; CSRF protection may refuse it first) and never executes
    assert 400 <= response.status_code < 500, response.text
    assert "data" not in response.json()
    assert _playlists_named(data_dir, name) == 0


async def test_a_refused_batch_of_mutations_runs_none_of_them(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    name = f"batched-{uuid.uuid4().hex[:8]}"
    mutation = {"query": CREATE.format(name)}
    response = await client.post("/graphql", json=[mutation] * 11, headers=bearer("user-1"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BATCH_TOO_LARGE", "limit": 10}
    assert _playlists_named(data_dir, name) == 0


class Upload:
    """A request body of 64 KiB chunks that counts how many chunks the server pulled."""

    CHUNK = 64 * 1024

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"query": "{ me { id } }", "pad": "'
        for _ in range(self.chunks):
            self.pulled += 1
            yield b"x" * self.CHUNK
        yield b'"}'


async def test_a_streamed_body_is_cut_off_without_reading_it_all(
    client: GatewayClient,
) -> None:
    # given a body with no Content-Length that would stream 64 MiB
    upload = Upload(chunks=1024)
    # when it is sent
    response = await client.post(
        "/graphql",
        content=upload,
        headers={"content-type": "application/json", **bearer("user-1")},
    )
    # then it is refused, and past the limit only the bounded drain was pulled (and dropped)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    settings = client.app.state.settings
    bound = settings.max_body_bytes + settings.body_drain_bytes
    assert upload.pulled <= bound // Upload.CHUNK + 2


async def test_an_oversized_upload_that_waits_for_100_continue_is_refused_unread(
    client: httpx.AsyncClient,
) -> None:
    upload = Upload(chunks=32)
    response = await client.post(
        "/graphql",
        content=upload,
        headers={
            "content-type": "application/json",
            "content-length": str(32 * Upload.CHUNK + 40),
            "expect": "100-continue",
        },
    )
    assert response.status_code == 413
    assert upload.pulled == 0


async def test_body_limit_is_a_setting(gateway: Gateway) -> None:
    small = await gateway(max_body_bytes=4096)
    query = {"query": "{ __typename }"}
    assert (await small.post("/graphql", json=query)).status_code == 200
    padded = await small.post("/graphql", json={**query, "pad": "x" * 5000})
    assert padded.status_code == 413


def test_the_token_limit_message_is_the_one_the_view_recognises() -> None:
    # gateway/view.py tells the token limit from a typo by graphql-core's message alone.
    from graphql import GraphQLSyntaxError, parse

    from gateway.view import _TOKEN_LIMIT

    with pytest.raises(GraphQLSyntaxError) as raised:
        parse(TOKENS, max_tokens=50)
    assert raised.value.message.endswith(_TOKEN_LIMIT)


@pytest.fixture(scope="module")
def gateway_url(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The gateway as ``crossfade serve`` runs it: a uvicorn process on loopback."""
    log_path = tmp_path_factory.mktemp("gateway") / "stderr.log"
    with gateway_process(data_dir, log=log_path) as gateway:
        yield gateway.url
    # The server's own log holds no warnings or errors for any of the refusals.
    noisy = [
        line
        for line in log_path.read_text(errors="replace").splitlines()
        if '"level":"ERROR"' in line or '"level":"WARNING"' in line or "Traceback" in line
    ]
    assert noisy == [], noisy


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    [
        c
        for c in HTTP_CASES + GRAPHQL_CASES
        if c.name
        in {
            "non-JSON body",
            "JSON null body",
            "missing query",
            "batch over the maximum",
            "no content type",
            "mutation over GET",
            "body over 1 MiB",
            "syntax error",
            "wrong variable type",
            "query depth",
            "token count",
        }
    ],
    ids=lambda c: c.name,
)
async def test_refusals_over_a_real_uvicorn_server(gateway_url: str, case: Case) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as real:
        _assert_refused(await _send(real, case), case)


@pytest.mark.slow
async def test_a_streamed_oversized_body_over_a_real_uvicorn_server(gateway_url: str) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=10) as real:
        try:
            response = await real.post(
                "/graphql", content=Upload(chunks=32), headers={"content-type": "application/json"}
            )
        except httpx.TransportError:
            pytest.fail("the server reset the connection instead of answering 413")
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
