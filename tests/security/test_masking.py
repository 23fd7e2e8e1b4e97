"""Unexpected errors reach the client as INTERNAL_SERVER_ERROR with the request ID only; the
exception and its traceback go to the log."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

import schema.query
import schema.types.user
from tests.support.tokens import bearer

pytestmark = pytest.mark.anyio

SECRET = "db password hunter2 at /srv/crossfade/secret.py"


async def explode(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(SECRET)


async def test_a_failing_resolver_is_masked_and_logged(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given a resolver that fails with details no client should see
    monkeypatch.setattr(schema.query, "search", explode)
    # when
    with caplog.at_level(logging.ERROR, logger="crossfade.graphql"):
        r = await client.post(
            "/graphql",
            json={"query": '{ search(query: "love") { tracks { totalCount } } }'},
            headers={"x-request-id": "masking-test-1"},
        )
    # then the client learns the code and the request ID, nothing else
    assert r.status_code == 200
    assert r.headers["x-request-id"] == "masking-test-1"
    body = r.json()
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "Internal server error (request masking-test-1).",
            "locations": [{"line": 1, "column": 3}],
            "path": ["search"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "masking-test-1"},
        }
    ]
    for leak in ("hunter2", "RuntimeError", "Traceback", "secret.py", ".py"):
        assert leak not in r.text
    # and the log has the whole story
    (record,) = [rec for rec in caplog.records if rec.name == "crossfade.graphql"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert SECRET in str(record.exc_info[1])


async def test_a_failure_in_a_nested_field_masks_only_that_field(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(schema.types.user, "liked_tracks", explode)
    with caplog.at_level(logging.ERROR, logger="crossfade.graphql"):
        r = await client.post(
            "/graphql",
            json={"query": "{ me { handle likedTracks(first: 1) { totalCount } } }"},
            headers=bearer("user-7"),
        )
    body = r.json()
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == r.headers["x-request-id"]
    assert error["path"] == ["me", "likedTracks"]
    assert "hunter2" not in r.text and "Traceback" not in r.text
    assert any(rec.exc_info and SECRET in str(rec.exc_info[1]) for rec in caplog.records)


async def test_client_mistakes_are_not_logged_as_server_errors(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="crossfade.graphql"):
        mutation = 'mutation { createPlaylist(input: {name: "x"}) { playlist { id } } }'
        r = await client.post("/graphql", json={"query": mutation})
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not [rec for rec in caplog.records if rec.name == "crossfade.graphql"]
