"""The API's error codes, defined once. Each error is a GraphQLError carrying
``extensions.code`` (and ``extensions.service`` for backend failures)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from graphql import GraphQLError


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    BACKEND_UNAVAILABLE = "BACKEND_UNAVAILABLE"
    BACKEND_TIMEOUT = "BACKEND_TIMEOUT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    # Persisted operations (gateway/governance/persisted.py); the first two are Apollo's.
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"


# Codes that describe the client's request, not a fault of ours: never logged as errors.
CLIENT_CODES = frozenset(
    {
        ErrorCode.UNAUTHENTICATED,
        ErrorCode.FORBIDDEN,
        ErrorCode.NOT_FOUND,
        ErrorCode.BAD_USER_INPUT,
        ErrorCode.CONFLICT,
        ErrorCode.RATE_LIMITED,
        ErrorCode.QUERY_TOO_COMPLEX,
    }
)


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
