"""``QueryCostLimiter``: refuses an operation whose static cost is over the limit before any
resolver runs, charges the cost to the caller's rate-limit buckets, and reports it in the
response's ``extensions.cost``.

It works at ``on_execute`` rather than as a validation rule because the cost depends on the
variables (``first: $items``), which the cached validation never sees.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from cachetools import LRUCache
from graphql import ExecutionResult, FragmentDefinitionNode, get_operation_ast
from strawberry.extensions import SchemaExtension

from gateway.governance.query_cost import operation_cost
from gateway.governance.rate_limiter import retry_after_header
from gateway.metrics import RATE_LIMIT_REFUSALS
from gateway.request_state import request_state
from resolvers.clients.errors import CrossfadeError, ErrorCode

# The walk takes ~0.2 ms for HomeFeed; the same document with the same variables (what
# clients send over and over) costs the same, so a schema keeps the last results. Keyed by
# the query text, never by the parsed document's id(), which Python may reuse.
CostKey = tuple[str, str | None, bytes]
_MAX_KEYED_VARIABLES = 1024  # bytes; larger variable sets are rare and just computed


def _cache_key(
    query: str | None, operation_name: str | None, variables: dict[str, Any] | None
) -> CostKey | None:
    if query is None:
        return None
    try:
        frozen = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    if len(frozen) > _MAX_KEYED_VARIABLES:
        return None
    return (query, operation_name, frozen)


class QueryTooComplex(CrossfadeError):
    code = ErrorCode.QUERY_TOO_COMPLEX


class RateLimited(CrossfadeError):
    code = ErrorCode.RATE_LIMITED


class QueryCostLimiter(SchemaExtension):
    def __init__(self, *, max_cost: int, max_page_size: int, cache: LRUCache[CostKey, int]) -> None:
        self.max_cost = max_cost
        self.max_page_size = max_page_size
        self._cache = cache
        self.cost: int | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = (
            get_operation_ast(document, context.operation_name) if document is not None else None
        )
        if document is None or operation is None or context.result is not None:
            yield
            return
        key = _cache_key(context.query, context.operation_name, context.variables)
        cached = self._cache.get(key) if key is not None else None
        if cached is None:
            fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
            cached = operation_cost(
                context.schema._schema,
                operation,
                fragments,
                context.variables,
                max_page_size=self.max_page_size,
            )
            if key is not None:
                self._cache[key] = cached
        self.cost = cached
        if self.cost > self.max_cost:
            context.result = ExecutionResult(
                data=None,
                errors=[
                    QueryTooComplex(
                        f"The operation's cost is {self.cost}, over the limit of "
                        f"{self.max_cost}: ask for smaller pages or fewer fields.",
                        cost=self.cost,
                        limit=self.max_cost,
                    )
                ],
            )
        else:
            await self._charge_rate_limit(self.cost)
        yield

    async def _charge_rate_limit(self, cost: int) -> None:
        """Charge the buckets the rate-limit middleware named for this request, if any."""
        request = getattr(self.execution_context.context, "request", None)
        if request is None:
            return
        state = request_state(request.scope)
        if state.cost_charge is None:
            return
        wait = await state.cost_charge.charge_cost(cost)
        if wait > 0:
            RATE_LIMIT_REFUSALS.labels(limit="cost").inc()
            retry_after = retry_after_header(wait)
            state.retry_after = retry_after  # the middleware turns this into HTTP 429
            self.execution_context.result = ExecutionResult(
                data=None,
                errors=[
                    RateLimited(
                        f"Too much query cost: retry in {retry_after} s.",
                        retryAfter=int(retry_after),
                    )
                ],
            )

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "limit": self.max_cost}}
