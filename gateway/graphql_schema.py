"""Builds the ``strawberry.Schema`` from the root types, with operation-level extensions only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import strawberry
from cachetools import LRUCache
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from gateway.config import Settings
from gateway.execution.engine import PlanCache, compiled_context
from gateway.governance.cost_limiter import CostKey, QueryCostLimiter
from gateway.governance.query_limits import too_complex
from gateway.metrics import OperationMetrics
from gateway.usage.field_usage import FieldUsage
from gateway.usage.usage_counter import UsageCounter
from schema.mutation import Mutation
from schema.query import Query
from schema.types.album import Album
from schema.types.artist import Artist
from schema.types.playlist import Playlist
from schema.types.track import Track
from schema.types.user import User

# Every concrete Node, so `node(id:)` can return any of them.
NODE_TYPES = (Track, Artist, Album, Playlist, User)


class CrossfadeSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # The view logs each error once, by code (gateway/view.py `_format`); Strawberry's
        # default logs every client mistake (a typo, a bad variable) at ERROR with a traceback.
        return


def build_schema(
    settings: Settings | None = None,
    usage: UsageCounter | None = None,
    outer: Sequence[Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    """``usage`` counts field usage per client; ``outer``: extensions run around all the
    others (the operation's span)."""
    settings = settings or Settings()
    # The limit rules are classes built once here: built per request (as the limiter
    # extensions do) they would defeat the validation cache, whose key includes the rules,
    # and every request would be validated again (~3 ms for a one-node query).
    rules = too_complex(
        [
            *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
            *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        ]
    )
    if not settings.introspection_enabled:
        rules.append(NoSchemaIntrospectionCustomRule)
    extensions: list[Any] = [
        *outer,
        OperationMetrics,
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ParserCache(maxsize=settings.document_cache_size),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=settings.document_cache_size),
    ]
    if settings.query_cost:
        # After parsing and validation: the cost needs a valid document and the variables.
        costs: LRUCache[CostKey, int] = LRUCache(maxsize=settings.document_cache_size)
        extensions.append(
            lambda: QueryCostLimiter(
                max_cost=settings.max_query_cost,
                max_page_size=settings.max_page_size,
                cache=costs,
            )
        )
    if usage is not None:
        # Last: it counts only what the other extensions let through to execution.
        extensions.append(lambda: FieldUsage(usage))
    context_class = None
    if settings.executor == "compiled":
        context_class = compiled_context(settings.plan_cache_size)
    schema = CrossfadeSchema(
        query=Query,
        mutation=Mutation,
        types=NODE_TYPES,
        extensions=extensions,
        execution_context_class=context_class,
    )
    if context_class is not None:
        context_class.plans = PlanCache(schema._schema, settings.plan_cache_size)
    return schema


def plan_cache(schema: strawberry.Schema) -> PlanCache | None:
    """The compiled engine's plans of ``schema``; None when it runs graphql-core's executor."""
    plans = getattr(schema.execution_context_class, "plans", None)
    return plans if isinstance(plans, PlanCache) else None
