"""GraphQL over HTTP as a client sends it: request bodies, persisted-query hashes, a POST
signed in as a listener, and running one operation for its response body."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from tests.support.tokens import bearer

# The listener an operation runs as when a test names nobody.
USER = "user-1"

# A GraphQL response body: {"data": ..., "errors": [...], "extensions": {...}}.
Body = dict[str, Any]


def payload(
    query: str | None, variables: Mapping[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """A request body: ``query`` and ``variables`` when given, then any other top-level
    ``fields`` as they are (``operationName``, ``extensions``, or junk sent on purpose)."""
    body: dict[str, Any] = {}
    if query is not None:
        body["query"] = query
    if variables is not None:
        body["variables"] = variables
    return {**body, **fields}


def payload_bytes(
    query: str | None, variables: Mapping[str, Any] | None = None, **fields: Any
) -> bytes:
    """``payload`` as the JSON bytes on the wire, for requests a test sends raw."""
    return orjson.dumps(payload(query, variables, **fields))


def document_hash(document: str) -> str:
    """The SHA-256 a persisted query (APQ or a trusted document) is known by."""
    return hashlib.sha256(document.encode()).hexdigest()


def persisted_query(sha: str) -> dict[str, Any]:
    """The ``extensions`` of an Apollo persisted query (APQ) request."""
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def post(
    client: httpx.AsyncClient,
    body: object,
    *,
    user: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST ``body`` as JSON to /graphql, signed in as ``user`` when given."""
    signed = bearer(user) if user else {}
    return await client.post("/graphql", json=body, headers={**signed, **(headers or {})})


async def execute(
    client: httpx.AsyncClient,
    query: str,
    variables: Mapping[str, Any] | None = None,
    *,
    user: str | None = USER,
    operation_name: str | None = None,
) -> Body:
    """Run one operation as ``user`` (a guest when None) and return the response body. The
    answer must be HTTP 200: GraphQL errors are in the body, for the test to look at."""
    body = payload(query, variables or {}, operationName=operation_name)
    response = await post(client, body, user=user)
    assert response.status_code == 200, response.text
    answer: Body = response.json()
    return answer


def without_errors(body: Body) -> Body:
    """``body``, once checked to carry no GraphQL errors (else the test fails showing them)."""
    assert "errors" not in body, body["errors"]
    return body
