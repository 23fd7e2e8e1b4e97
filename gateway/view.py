"""The GraphQL HTTP endpoint: Strawberry's ASGI view with our context, errors and JSON.

- the context is the typed ``Context`` with the viewer the auth middleware found;
- every error carries ``extensions.code``; unexpected exceptions are masked as
  INTERNAL_SERVER_ERROR with the request ID, and only those are logged as server errors;
- HTTP-level refusals answer with a GraphQL-shaped JSON body, never plain text;
- responses are serialised with orjson.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from gateway.metrics import OPERATION_ERRORS
from resolvers.context import Context, Services
from resolvers.errors import CLIENT_CODES, CrossfadeError, ErrorCode

log = logging.getLogger("crossfade.graphql")

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def json_error(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    body = {
        "errors": [
            {
                "message": message,
                "extensions": {"code": code or _HTTP_CODES.get(status, "BAD_REQUEST")},
            }
        ]
    }
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def _format(error: GraphQLError, request_id: str) -> dict[str, Any]:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        formatted = error.formatted
        extensions = dict(formatted.get("extensions") or {})
        if isinstance(original, CrossfadeError):
            extensions.update(original.extensions or {})
        extensions.setdefault(
            "code",
            "GRAPHQL_VALIDATION_FAILED" if not error.path else ErrorCode.BAD_USER_INPUT.value,
        )
        formatted = {**formatted, "extensions": extensions}
        code = str(extensions["code"])
        OPERATION_ERRORS.labels(code=code).inc()
        if code not in CLIENT_CODES and code not in {
            "GRAPHQL_VALIDATION_FAILED",
            "GRAPHQL_PARSE_FAILED",
        }:
            log.warning(
                "backend error: %s",
                error.message,
                extra={"fields": {"code": code, "path": error.path}},
            )
        return dict(formatted)
    # A bug or an unexpected failure: details go to the log, never to the client.
    OPERATION_ERRORS.labels(code="INTERNAL_SERVER_ERROR").inc()
    log.error("unexpected error at %s", error.path, exc_info=original)
    return {
        "message": f"Internal server error (request {request_id}).",
        "locations": error.formatted.get("locations"),
        "path": error.path,
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }


class GraphQLView(GraphQL[Context, None]):
    def __init__(
        self,
        *args: Any,
        services: Callable[[], Services],
        ide_page: Callable[[], Response] | None,
        **kwargs: Any,
    ) -> None:
        kwargs["graphql_ide"] = "graphiql" if ide_page else None
        super().__init__(*args, **kwargs)
        self._services = services
        self._ide_page = ide_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            headers = {"allow": "GET, POST"} if exc.status_code == 405 else None
            response = json_error(exc.status_code, exc.reason, headers=headers)
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        viewer = request.scope.get("state", {}).get("viewer")
        context = Context.build(request, viewer, self._services())
        request.scope["state"]["graphql_context"] = context
        return context

    async def render_graphql_ide(self, request: Request) -> Response:
        assert self._ide_page is not None
        return self._ide_page()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            # Strawberry turns json's error (orjson's subclasses ValueError) into a 400.
            raise json.JSONDecodeError(str(exc), "", 0) from None

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        rid = request.scope.get("state", {}).get("request_id", "-")
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [_format(e, rid) for e in result.errors]
        extensions = dict(result.extensions or {})
        context = request.scope.get("state", {}).get("graphql_context")
        if isinstance(context, Context) and context.extensions:
            extensions.update(context.extensions)
        if extensions:
            response["extensions"] = extensions
        return response
