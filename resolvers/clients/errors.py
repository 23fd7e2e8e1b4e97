"""The API's error codes, defined once. Each error is a GraphQLError carrying
``extensions.code`` (and ``extensions.service`` for backend failures)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from graphql import GraphQLError


class ErrorCode(StrEnum):
    """Every code a client can receive in ``extensions.code``, with the HTTP status it comes
    with when the gateway refuses a request at the HTTP level (``None``: only ever inside a
    GraphQL response, HTTP 200) and whether it describes the client's request rather than a
    fault of ours (client mistakes are never logged as server errors).

    The README's "Error codes" table says what a client should do about each one; a test
    keeps the two in step.
    """

    http_status: int | None
    client_error: bool

    def __new__(cls, value: str, http_status: int | None, client_error: bool) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.http_status = http_status
        member.client_error = client_error
        return member

    @classmethod
    def for_http_status(cls, status: int) -> ErrorCode:
        """The first code sent with ``status`` (for refusals that only name a status)."""
        return next((c for c in cls if c.http_status == status), cls.BAD_REQUEST)

    # Who is asking, and what they may see.
    UNAUTHENTICATED = "UNAUTHENTICATED", 401, True
    FORBIDDEN = "FORBIDDEN", 403, True
    NOT_FOUND = "NOT_FOUND", 404, True
    # The request itself.
    BAD_REQUEST = "BAD_REQUEST", 400, True
    BATCH_TOO_LARGE = "BATCH_TOO_LARGE", 400, True
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED", 405, True
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE", 413, True
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE", 415, True
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED", None, True
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED", None, True
    BAD_USER_INPUT = "BAD_USER_INPUT", None, True
    CONFLICT = "CONFLICT", 409, True
    # Governance: limits and persisted operations (the first two are Apollo's APQ protocol,
    # answered with 200 so Apollo clients retry with the full query).
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX", None, True
    RATE_LIMITED = "RATE_LIMITED", 429, True
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND", 200, True
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED", 200, True
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED", 400, True
    # Ours: a backend (or the identity provider) failed, the gateway is at capacity, or a bug.
    BACKEND_UNAVAILABLE = "BACKEND_UNAVAILABLE", 503, False
    OVERLOADED = "OVERLOADED", 503, False
    BACKEND_TIMEOUT = "BACKEND_TIMEOUT", None, False
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR", 500, False


class CrossfadeError(GraphQLError):
    """A GraphQL error with a code from :class:`ErrorCode`."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code.value, **extensions})


class Unauthenticated(CrossfadeError):
    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, message: str = "Sign in to see this: send a bearer token.") -> None:
        super().__init__(message)


class Forbidden(CrossfadeError):
    code = ErrorCode.FORBIDDEN


class NotFound(CrossfadeError):
    code = ErrorCode.NOT_FOUND


class BadUserInput(CrossfadeError):
    code = ErrorCode.BAD_USER_INPUT


class Conflict(CrossfadeError):
    code = ErrorCode.CONFLICT


class BackendError(CrossfadeError):
    """A backend could not answer; ``service`` names it so clients know which data is missing."""

    def __init__(self, message: str, *, service: str) -> None:
        super().__init__(message, service=service)
        self.service = service


class BackendUnavailable(BackendError):
    code = ErrorCode.BACKEND_UNAVAILABLE


class BackendTimeout(BackendError):
    code = ErrorCode.BACKEND_TIMEOUT
