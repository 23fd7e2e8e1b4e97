"""The one shape of every HTTP-level refusal: a GraphQL-shaped JSON body carrying its code.

Middleware, the view, governance and the admin endpoint all answer through :func:`refusal`, so
a client reads ``errors[0].extensions.code`` whatever refused it, and the HTTP status always
matches the code (``ErrorCode.http_status``).
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response

from resolvers.clients.errors import ErrorCode


def refusal(
    code: ErrorCode,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: object,
) -> Response:
    """``{"errors": [{"message", "extensions": {"code", ...}}]}`` with the code's status."""
    if code.http_status is None:
        raise ValueError(f"{code} is only ever sent inside a GraphQL response")
    return Response(
        orjson.dumps(refusal_body(code, message, **extensions)),
        status_code=code.http_status,
        media_type="application/json",
        headers=dict(headers) if headers else None,
    )


def refusal_body(code: ErrorCode, message: str, **extensions: object) -> dict[str, object]:
    """The body alone: also a refused operation's element in a batch's answer."""
    return {"errors": [{"message": message, "extensions": {"code": code.value, **extensions}}]}
