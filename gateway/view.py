"""The GraphQL HTTP endpoint: Strawberry's ASGI view with our context, errors and JSON.

- the context is the typed ``Context`` with the viewer the auth middleware found;
- every error carries ``extensions.code``; unexpected exceptions are masked as
  INTERNAL_SERVER_ERROR with the request ID, and only those are logged as server errors;
- HTTP-level refusals answer with a GraphQL-shaped JSON body, never plain text;
- a JSON array of operations is a batch (gateway/batch.py), answered by an array;
- responses are serialised with orjson.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError, GraphQLSyntaxError, VariableDefinitionNode
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.graphql import OperationType

from gateway.batch import BatchRefused, RefusedOperation, is_batch, malformed, parse_batch
from gateway.error_order import in_response_order
from gateway.governance.persisted import PersistedOperations, PersistedQueryError
from gateway.governance.rate_limiter import retry_after_header
from gateway.metrics import OPERATION_ERRORS
from gateway.refusal import refusal, refusal_body
from gateway.request_state import request_state
from resolvers.clients.errors import CrossfadeError, ErrorCode
from resolvers.clients.scope import call_scope, current_scope
from resolvers.context import Context, Services

log = logging.getLogger("crossfade.graphql")


# graphql-core's parser reports the token limit as a syntax error; only its message tells
# it apart from a typo (tests/gateway/test_bad_requests.py pins it).
_TOKEN_LIMIT = "tokens. Parsing aborted."


def _request_error_code(error: GraphQLError) -> ErrorCode:
    """The code of an error raised before execution (no path): the document or variables."""
    if isinstance(error, GraphQLSyntaxError):
        if error.message.endswith(_TOKEN_LIMIT):
            return ErrorCode.QUERY_TOO_COMPLEX
        return ErrorCode.GRAPHQL_PARSE_FAILED
    # Variable coercion wraps the scalar's own error; validation rules never set one.
    if (
        error.original_error is not None
        and error.nodes
        and isinstance(error.nodes[0], VariableDefinitionNode)
    ):
        return ErrorCode.BAD_USER_INPUT
    return ErrorCode.GRAPHQL_VALIDATION_FAILED


def _format(error: GraphQLError, request_id: str, trace_id: str | None = None) -> dict[str, Any]:
    formatted = _format_error(error, request_id)
    if trace_id is not None:
        # Tracing is on: the trace shows which backend call failed and how long each took.
        formatted["extensions"] = {**formatted["extensions"], "traceId": trace_id}
    return formatted


def _format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    original = error.original_error
    default_code = ErrorCode.BAD_USER_INPUT if error.path else _request_error_code(error)
    # A bad variable value is the client's mistake even when the scalar raised a plain error.
    bad_variable = not error.path and default_code == ErrorCode.BAD_USER_INPUT
    if original is None or isinstance(original, GraphQLError) or bad_variable:
        formatted = error.formatted
        extensions = dict(formatted.get("extensions") or {})
        if isinstance(original, CrossfadeError):
            extensions.update(original.extensions or {})
        extensions.setdefault("code", default_code.value)
        formatted = {**formatted, "extensions": extensions}
        code = str(extensions["code"])
        OPERATION_ERRORS.labels(code=code).inc()
        known = ErrorCode.__members__.get(code)
        if known is None or not known.client_error:
            log.warning(
                "backend error: %s",
                error.message,
                extra={"fields": {"code": code, "path": error.path}},
            )
        return dict(formatted)
    # A bug or an unexpected failure: details go to the log, never to the client.
    OPERATION_ERRORS.labels(code=ErrorCode.INTERNAL_SERVER_ERROR.value).inc()
    log.error("unexpected error at %s", error.path, exc_info=original)
    return {
        "message": f"Internal server error (request {request_id}).",
        "locations": error.formatted.get("locations"),
        "path": error.path,
        "extensions": {"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    }


def _http_refusal(exc: HTTPException) -> tuple[ErrorCode, str, Mapping[str, str] | None]:
    """The code, message and headers Strawberry's HTTP-level refusal goes out with."""
    cause = exc.__cause__
    if (
        isinstance(cause, InvalidOperationTypeError)
        and cause.operation_type == OperationType.MUTATION
    ):
        # Strawberry answers 400; a method the resource refuses is a 405 (RFC 9110),
        # and GraphQL-over-HTTP says mutations go over POST only.
        return (
            ErrorCode.METHOD_NOT_ALLOWED,
            "Mutations are only accepted over POST.",
            {"allow": "POST"},
        )
    headers = {"allow": "GET, POST"} if exc.status_code == 405 else None
    return ErrorCode.for_http_status(exc.status_code), exc.reason, headers


class GraphQLView(GraphQL[Context, None]):
    def __init__(
        self,
        *args: Any,
        services: Callable[[], Services],
        ide_page: Callable[[], Response] | None,
        request_deadline_s: float | None = None,
        persisted: PersistedOperations | None = None,
        batch_max: int = 1,
        **kwargs: Any,
    ) -> None:
        kwargs["graphql_ide"] = "graphiql" if ide_page else None
        super().__init__(*args, **kwargs)
        self._services = services
        self._ide_page = ide_page
        self._request_deadline_s = request_deadline_s
        self._persisted = persisted
        self._batch_max = batch_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            # Every backend call of this request shares one deadline (resolvers/clients/scope.py).
            with call_scope(self._request_deadline_s):
                response = await self.run(request)
        except PersistedQueryError as exc:
            response = refusal(exc.code, exc.message)
        except BatchRefused as exc:
            response = refusal(exc.code, exc.message, headers=exc.headers, **exc.extensions)
        except HTTPException as exc:
            code, message, headers = _http_refusal(exc)
            response = refusal(code, message, headers=headers)
        if self._persisted is not None:
            self._persisted.cache_headers(request, response)
        await response(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        # Strawberry calls this once per HTTP request, before reading the body: a batch's
        # operations share this context (see execute_operation).
        state = request_state(request.scope)
        context = Context.build(request, state.viewer, self._services())
        state.context = context
        return context

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET carrying only a persisted query's hash has no `query` either, and is an
        # operation, not a visit to GraphiQL (Strawberry looks at `query` alone).
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        assert self._ide_page is not None
        return self._ide_page()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            mime, _ = parse_content_type(request.content_type or "")
            # Strawberry would take any type containing "application/json" and answer 400 for
            # the rest; an unsupported request media type is a 415 (GraphQL-over-HTTP).
            if mime != "application/json":
                raise HTTPException(
                    415, "Send the operation as JSON ('Content-Type: application/json')."
                )
            # A batch is ours to read: Strawberry's own batching answers one refused element
            # (an APQ miss, a missing query) by refusing the whole batch, and has no codes.
            body = await request.get_body()
            if is_batch(body):
                return parse_batch(self.parse_json(body), max_operations=self._batch_max)
        data = await super().parse_http_body(request)
        if self._persisted is not None and isinstance(data, GraphQLRequestData):
            # APQ and trusted documents: fill the query in from its hash, or refuse.
            data = await self._persisted.resolve(data)
        return data

    def parse_json(self, data: str | bytes) -> Any:
        value = super().parse_json(data)
        # Strawberry calls `.get` on whatever the body decodes to: a bare string, number or
        # null would be a 500. Lists go through: batches (parse_http_body), or GET variables
        # that Strawberry refuses as not an object.
        if not isinstance(value, dict | list):
            raise HTTPException(400, 'Expected a JSON object such as {"query": "{ me { id } }"}.')
        return value

    def decode_json(self, data: str | bytes) -> object:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            # Strawberry turns json's error (orjson's subclasses ValueError) into a 400.
            raise json.JSONDecodeError(str(exc), "", 0) from None

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        if not isinstance(request_data, list):
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        state = request_state(request.scope)
        if state.cost_charge is not None and len(request_data) > 1:
            # The middleware charged the first operation as the request arrived.
            wait = await state.cost_charge.charge_requests(len(request_data) - 1)
            if wait > 0:
                retry_after = retry_after_header(wait)
                raise BatchRefused(
                    ErrorCode.RATE_LIMITED,
                    f"Too many requests: retry in {retry_after} s.",
                    headers={"retry-after": retry_after},
                    retryAfter=int(retry_after),
                )
        # Concurrently, so the operations' loads of one tick share one backend call.
        results = await asyncio.gather(
            *(
                self._execute_element(request, request_adapter, sub_response, context, data)
                for data in request_data
            )
        )
        # A cost refusal is its element's RATE_LIMITED error; the others ran, so the batch is
        # answered 200, not turned into a 429 by the rate-limit middleware.
        state.retry_after = None
        return list(results)

    async def _execute_element(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        data: GraphQLRequestData,
    ) -> ExecutionResult:
        """One operation of a batch, answered as it would be alone."""
        # Its own extensions (degraded shelves, experiments served), the same loaders.
        operation_context = dataclasses.replace(context, extensions={})
        try:
            problem = malformed(data)
            if problem is not None:
                raise HTTPException(400, problem)
            if self._persisted is not None:
                data = await self._persisted.resolve(data)
            result = await self.execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=operation_context,
                root_value=None,
                request_data=data,
            )
        except PersistedQueryError as exc:
            return RefusedOperation(None, None, body=refusal_body(exc.code, exc.message))
        except HTTPException as exc:
            code, message, _ = _http_refusal(exc)
            return RefusedOperation(None, None, body=refusal_body(code, message))
        if operation_context.extensions:
            result.extensions = {**(result.extensions or {}), **operation_context.extensions}
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if isinstance(result, RefusedOperation):
            return cast(GraphQLHTTPResponse, result.body)
        state = request_state(request.scope)
        response: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            response["errors"] = [
                _format(e, state.request_id, state.trace_id)
                for e in in_response_order(result.errors, result.data)
            ]
        extensions = dict(result.extensions or {})
        if state.context is not None and state.context.extensions:
            extensions.update(state.context.extensions)
        scope = current_scope()
        if scope is not None and scope.stale:
            # Data from these services came from a stale cache copy while they were failing.
            extensions["stale"] = sorted(scope.stale)
        if extensions:
            response["extensions"] = extensions
        return response
