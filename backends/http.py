"""HTTP plumbing shared by the reference backends: orjson responses, errors and parameters.

Every client mistake becomes an :class:`ApiError`, which the handler from
:func:`exception_handlers` renders as ``{"error": {"code", "message"}}`` so the gateway sees
one error shape from every service, including Starlette's own 404 and 405.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

# ASCII digits only: int() would also accept "1_000", " 7" and Arabic-Indic digits, and more
# than 18 digits could overflow SQLite's 64-bit integers inside a query.
_ID = re.compile(r"[0-9]{1,18}")

_CODES = {
    400: "BAD_REQUEST",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
}


class JSONResponse(Response):
    """A JSON response serialised with orjson (several times faster than ``json``)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class ApiError(Exception):
    """A client-facing failure with its HTTP status and contract error code."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BAD_REQUEST", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", message)


def error_response(status_code: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status_code)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.code, exc.message)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _CODES.get(exc.status_code, "HTTP_ERROR")
    return error_response(exc.status_code, code, str(exc.detail))


def exception_handlers() -> dict[Any, ExceptionHandler]:
    return {ApiError: _api_error, HTTPException: _http_error}


def parse_ids(params: Mapping[str, str], name: str, *, max_batch: int) -> list[int]:
    """Parse ``name=1,2,3``; key order and duplicates are kept (answers mirror the keys)."""
    raw = params.get(name)
    if raw is None:
        raise bad_request(f"missing query parameter {name!r}")
    parts = [part.strip() for part in raw.split(",")]
    if parts == [""]:
        return []
    if len(parts) > max_batch:
        raise bad_request(f"{name!r} holds {len(parts)} IDs, at most {max_batch} are allowed")
    bad = [part for part in parts if not _ID.fullmatch(part)]
    if bad:
        raise bad_request(f"{name!r} holds invalid IDs: {', '.join(bad[:10])}")
    return [int(part) for part in parts]


def parse_int(
    params: Mapping[str, str], name: str, *, default: int | None, minimum: int, maximum: int
) -> int:
    """Parse an integer parameter within ``[minimum, maximum]``; no default means required."""
    raw = params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise bad_request(f"missing query parameter {name!r}")
        return default
    if not re.fullmatch(r"-?[0-9]{1,18}", raw):
        raise bad_request(f"{name!r} must be an integer")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise bad_request(f"{name!r} must be between {minimum} and {maximum}")
    return value


async def read_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or 400."""
    body = await request.body()
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad_request("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    return data


def body_int(body: Mapping[str, Any], name: str, *, required: bool = True) -> int | None:
    """An integer field; ``bool`` is rejected although Python counts it as an ``int``."""
    value = body.get(name)
    if value is None:
        if required:
            raise bad_request(f"missing field {name!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise bad_request(f"{name!r} must be a non-negative integer")
    return value


def body_str(
    body: Mapping[str, Any], name: str, *, default: str | None = None, max_length: int = 1000
) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise bad_request(f"{name!r} must be a string")
    if len(value) > max_length:
        raise bad_request(f"{name!r} is longer than {max_length} characters")
    return value


def body_ids(body: Mapping[str, Any], name: str, *, max_batch: int) -> list[int]:
    """A non-empty list of integer IDs of at most ``max_batch`` items."""
    value = body.get(name)
    if not isinstance(value, list) or not value:
        raise bad_request(f"{name!r} must be a non-empty list of IDs")
    if len(value) > max_batch:
        raise bad_request(f"{name!r} holds {len(value)} IDs, at most {max_batch} are allowed")
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63 for v in value):
        raise bad_request(f"{name!r} must hold only non-negative integers")
    return list(value)
