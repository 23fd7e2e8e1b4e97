"""Persisted operations: automatic persisted queries (the Apollo protocol) and trusted documents.

APQ: a client sends ``extensions.persistedQuery = {version: 1, sha256Hash}`` without the query;
an unknown hash answers PERSISTED_QUERY_NOT_FOUND (HTTP 200, as Apollo clients expect) and the
client retries with hash and query, which is checked and stored. Small GET requests carrying
only the hash are what lets a CDN cache query responses.

Trusted documents (``CROSSFADE_TRUSTED_DOCUMENTS``): only the manifest's operations run, by
hash or by an identical body; everything else is PERSISTED_QUERY_NOT_ALLOWED (HTTP 400), and
nothing can be registered.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLRequestData

from gateway.governance.documents import DocumentStore
from gateway.governance.manifest import document_hash
from resolvers.clients.errors import ErrorCode

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class PersistedQueryError(Exception):
    """A request the persisted-operations protocol refuses; answered without executing."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _not_found() -> PersistedQueryError:
    # Apollo clients match the message as well as the code, so both are the protocol's.
    return PersistedQueryError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")


class PersistedOperations:
    def __init__(
        self,
        *,
        store: DocumentStore | None,
        trusted: Mapping[str, str] | None,
        max_document_bytes: int,
        cache_max_age_s: int,
    ) -> None:
        self._store = store
        self._trusted = trusted
        self._max_document_bytes = max_document_bytes
        self._cache_max_age_s = cache_max_age_s

    @property
    def trusted_only(self) -> bool:
        return self._trusted is not None

    @property
    def trusted_documents(self) -> Mapping[str, str]:
        """The manifest's documents by hash (none unless only trusted documents run)."""
        return self._trusted or {}

    @property
    def accepts_hashes(self) -> bool:
        """Whether a request may name its document by hash alone."""
        return self._trusted is not None or self._store is not None

    async def known(self, sha256: str) -> str | None:
        """The document ``sha256`` names, if it would run here; nothing is registered."""
        if self._trusted is not None:
            return self._trusted.get(sha256)
        return None if self._store is None else await self._store.get(sha256)

    async def resolve(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its query filled in from the hash, or a PersistedQueryError."""
        extension = (data.extensions or {}).get("persistedQuery")
        if extension is None:
            return self._ad_hoc(data)
        sha = _hash_of(extension)
        if self._trusted is not None:
            body = self._trusted.get(sha)
            if body is None:
                raise PersistedQueryError(
                    ErrorCode.PERSISTED_QUERY_NOT_ALLOWED,
                    "Only the trusted documents run here, and this hash is not one of them.",
                )
            self._check_body(data.query, sha)
            return dataclasses.replace(data, query=body)
        if self._store is None:
            raise PersistedQueryError(
                ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED, "PersistedQueryNotSupported"
            )
        if data.query is None:
            query = await self._store.get(sha)
            if query is None:
                raise _not_found()
            return dataclasses.replace(data, query=query)
        self._check_body(data.query, sha)
        # Oversized documents still run (the token limit judges them) but are not kept.
        if len(data.query) <= self._max_document_bytes:
            await self._store.put(sha, data.query)
        return data

    def _ad_hoc(self, data: GraphQLRequestData) -> GraphQLRequestData:
        if self._trusted is None or data.query is None:
            return data  # a missing query is Strawberry's 400
        if document_hash(data.query) in self._trusted:
            return data
        raise PersistedQueryError(
            ErrorCode.PERSISTED_QUERY_NOT_ALLOWED,
            "Only trusted documents run here: send a persisted operation's hash "
            "in extensions.persistedQuery.",
        )

    @staticmethod
    def _check_body(query: str | None, sha: str) -> None:
        if query is not None and document_hash(query) != sha:
            raise PersistedQueryError(
                ErrorCode.BAD_REQUEST, "provided sha256Hash does not match the query"
            )

    def cache_headers(self, request: Request, response: Response) -> None:
        """Let CDNs and browsers cache successful GET query responses for a while.

        Anything with errors is ``no-store`` (a PERSISTED_QUERY_NOT_FOUND must not stick, nor
        a backend outage). A request with credentials may carry personal data: ``private``.
        """
        if request.method != "GET" or response.status_code != 200:
            return
        if not response.headers.get("content-type", "").startswith("application/json"):
            return  # GraphiQL's page
        # The body is our own orjson output; `"errors":` appears in it whenever the response
        # has errors (a false match only costs a cache miss).
        if b'"errors":' in response.body or self._cache_max_age_s == 0:
            response.headers["cache-control"] = "no-store"
            return
        scope = "private" if "authorization" in request.headers else "public"
        response.headers["cache-control"] = f"{scope}, max-age={self._cache_max_age_s}"
        response.headers.add_vary_header("Authorization")


def _hash_of(extension: Any) -> str:
    if (
        not isinstance(extension, Mapping)
        or extension.get("version") != 1
        or not isinstance(extension.get("sha256Hash"), str)
        or not _SHA256.match(extension["sha256Hash"])
    ):
        raise PersistedQueryError(
            ErrorCode.BAD_REQUEST,
            "extensions.persistedQuery needs version 1 and a sha256Hash of 64 hex digits.",
        )
    return str(extension["sha256Hash"]).lower()
