"""Building one reference backend's Starlette app over the store.

The lead's CLI serves an app with uvicorn (``crossfade backend NAME --port P``) and the
gateway mounts the same apps in-process through ``httpx.ASGITransport``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backends.deadline import DeadlineMiddleware
from backends.faults import FaultInjectionMiddleware, Faults
from backends.http import JSONResponse, exception_handlers
from backends.names import BACKENDS
from backends.services.catalog import CatalogService
from backends.services.library import LibraryService
from backends.services.playlists import PlaylistsService
from backends.services.pool import ConnectionPool
from backends.services.search import SearchService
from backends.settings import BackendSettings
from backends.sql_time import SqlTimingMiddleware

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer


class Service(Protocol):
    def routes(self) -> list[Route]: ...


_FACTORIES: dict[str, Callable[[ConnectionPool, BackendSettings], Service]] = {
    "catalog": CatalogService,
    "library": LibraryService,
    "playlists": PlaylistsService,
    "search": SearchService,
}

# Catalog and search never write, so a bug there cannot touch the store.
_WRITERS = frozenset({"library", "playlists"})


def create_app(
    name: str,
    settings: BackendSettings | None = None,
    faults: Faults | None = None,
    tracer: Tracer | None = None,
    *,
    time_sql: bool = False,
) -> Starlette:
    """The Starlette app of backend ``name`` over ``settings.db_path``.

    ``faults`` defaults to the settings' (``BackendSettings.faults(name)``). ``time_sql``:
    each answer says its SQL time in ``Server-Timing`` (``backends/sql_time.py``); ``tracer``
    also makes a server span per request (``backends/tracing.py``). Neither: plain SQLite.
    """
    time_sql = time_sql or tracer is not None
    if name not in _FACTORIES:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
    settings = settings or BackendSettings()
    if not settings.db_path.exists():
        raise FileNotFoundError(f"no store at {settings.db_path}; run `crossfade data build` first")
    pool = ConnectionPool(settings.db_path, writable=name in _WRITERS, timed=time_sql)
    service = _FACTORIES[name](pool, settings)

    def healthz(request: Request) -> Response:
        pool.reader().execute("SELECT 1").fetchone()
        return JSONResponse({"status": "ok", "service": name})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pool.close()

    faults = faults or settings.faults(name)
    # The deadline wraps the faults so that injected latency never outlives the budget.
    middleware = [Middleware(DeadlineMiddleware)]
    if time_sql:
        middleware.insert(0, Middleware(SqlTimingMiddleware))
    if tracer is not None:
        from backends.tracing import ServerSpanMiddleware

        # Outermost: the span covers the deadline's 504s and the injected faults too.
        middleware.insert(0, Middleware(ServerSpanMiddleware, tracer=tracer, service=name))
    if faults.active:
        middleware.append(Middleware(FaultInjectionMiddleware, faults=faults))
    app = Starlette(
        routes=[Route("/healthz", healthz), *service.routes()],
        middleware=middleware,
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.pool = pool
    return app
