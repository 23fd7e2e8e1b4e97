"""The ASGI application: /graphql, GraphiQL, health, readiness and metrics."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.admin import reload_model
from gateway.authenticator import Authenticator, issue_token
from gateway.cache.front import CacheFront
from gateway.cache.middleware import ResponseCacheMiddleware
from gateway.cache.response_cache import ResponseCache, build_response_cache
from gateway.config import Settings
from gateway.governance import build_governance
from gateway.governance.admission import Admission
from gateway.governance.admission_middleware import AdmissionMiddleware
from gateway.graphql_schema import build_schema, plan_cache
from gateway.health import healthz, readyz
from gateway.metrics import metrics_endpoint
from gateway.middleware.authentication import AuthMiddleware
from gateway.middleware.body_limit import BodyLimitMiddleware
from gateway.middleware.cors import cors_middleware
from gateway.middleware.csrf import CsrfMiddleware
from gateway.middleware.request_id import RequestIdMiddleware
from gateway.services import build_services
from gateway.upstreams import build_http_clients
from gateway.usage import build_usage
from gateway.view import GraphQLView
from resolvers.global_id import to_global_id
from resolvers.warm import warm_shared

if TYPE_CHECKING:
    from gateway.tracing import Tracing

log = logging.getLogger("crossfade.app")


def _graphiql_examples(settings: Settings) -> dict[str, object]:
    """Example variables and, in development only, a signed-in listener for GraphiQL."""
    variables = {
        "Playlist": {"id": to_global_id("Playlist", 1)},
        "Node": {"id": to_global_id("Track", 1)},
        "Search": {"q": "metalica"},
    }
    if settings.environment != "development":
        return {"variables": variables}
    token = issue_token(settings, "user-1")
    return {"variables": variables, "headers": {"Authorization": f"Bearer {token}"}}


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    tracing: Tracing | None = None
    if settings.otel_endpoint:
        # Imported only here: without an endpoint, OpenTelemetry is never loaded.
        from gateway.tracing import build_tracing

        tracing = build_tracing(settings)
    http = build_http_clients(settings, traced=tracing is not None)
    services = build_services(settings, http, tracing.spans if tracing else None)
    governance = build_governance(settings)
    usage = build_usage(settings, governance.redis)
    ide_page: Callable[[], Response] | None = None
    routes: list[BaseRoute] = []
    if settings.graphiql_enabled:
        from gateway.graphiql import graphiql_page, graphiql_routes, load_operations

        operations = load_operations(settings.operations_dir)
        routes += graphiql_routes(operations_dir=settings.operations_dir)
        examples = _graphiql_examples(settings)

        def ide_page() -> Response:
            return graphiql_page(operations, **examples)  # type: ignore[arg-type]

    schema = build_schema(settings, usage=usage, outer=[tracing.extension] if tracing else [])
    plans = plan_cache(schema)
    if plans is not None:
        # Trusted documents are planned now, not on their first request.
        for body in governance.persisted.trusted_documents.values():
            plans.compile_source(body)
    view = GraphQLView(
        schema,
        services=lambda: services,
        ide_page=ide_page,
        request_deadline_s=settings.request_deadline_s,
        persisted=governance.persisted,
        batch_max=settings.batch_max,
    )
    authenticator = Authenticator.from_settings(settings)
    response_cache: ResponseCache | None = None
    execution: list[Middleware] = []
    front: list[Middleware] = []
    if settings.response_cache:
        response_cache = build_response_cache(
            settings, schema._schema, persisted=governance.persisted, redis=governance.redis
        )
        execution.append(
            Middleware(
                ResponseCacheMiddleware,
                cache=response_cache,
                gate=governance.gate,
                traced=tracing.cache_hit if tracing else None,
            )
        )
        if settings.response_cache_front:
            front.append(
                Middleware(
                    CacheFront,
                    cache=response_cache,
                    authenticator=authenticator,
                    max_body_bytes=settings.max_body_bytes,
                    gate=governance.gate,
                    traced=tracing.cache_hit if tracing else None,
                )
            )
    admission = Admission(
        limit=settings.max_concurrent_executions,
        target_s=settings.admission_target_s,
        wait_s=settings.admission_wait_s,
        overload_wait_s=settings.admission_overload_wait_s,
        max_waiting=settings.admission_max_waiting,
    )
    # Rate limits after the cache (which charges its hits through the same gate), then
    # admission: hits never wait for an execution slot.
    execution += governance.middleware()
    execution.append(Middleware(AdmissionMiddleware, admission=admission))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            version = services.ranking.reload()
            log.info("ranking model loaded", extra={"fields": {"version": version}})
        except Exception as exc:  # serve anyway: /readyz reports the missing model
            log.error("ranking model not loaded: %s", exc)
        await warm_shared(
            services,
            popular_tracks=settings.warm_popular_tracks,
            deadline_s=settings.request_deadline_s,
        )
        if response_cache is not None:
            response_cache.start()  # subscribe to the other replicas' invalidations now
        # Start-up garbage (imports, schema, model) never needs collecting again.
        gc.collect()
        gc.freeze()
        if usage is not None:
            usage.start()
        yield
        if usage is not None:
            await usage.aclose()  # the last counts, before the Redis pool closes
        for client in http.values():
            await client.aclose()
        await authenticator.aclose()
        if response_cache is not None:
            await response_cache.aclose()
        await governance.aclose()
        if tracing is not None:
            tracing.shutdown()

    app = Starlette(
        routes=[
            Route("/graphql", view),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Route("/admin/reload-model", reload_model, methods=["POST"]),
            *routes,
        ],
        middleware=[
            # Outermost: every answer, refusals included, carries the caller's trace ID.
            *([tracing.middleware()] if tracing else []),
            # A hit of an app's repeat is answered here, as the layers below would answer it.
            *front,
            Middleware(RequestIdMiddleware),
            # CORS before the refusals below, so a browser can read why it was refused.
            cors_middleware(settings),
            Middleware(
                BodyLimitMiddleware,
                max_bytes=settings.max_body_bytes,
                drain_bytes=settings.body_drain_bytes,
            ),
            Middleware(CsrfMiddleware),
            Middleware(AuthMiddleware, settings=settings, authenticator=authenticator),
            # After auth, which names the listener: the response cache, rate limits, admission.
            *execution,
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.schema = schema
    app.state.services = services
    app.state.authenticator = authenticator
    app.state.http_clients = http
    app.state.governance = governance
    app.state.usage = usage
    app.state.tracing = tracing
    app.state.response_cache = response_cache
    app.state.admission = admission
    return app
