"""httpx clients over an ASGI app in this process: the gateway's, a reference backend's, or
any small Starlette app. No sockets: requests go straight into the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.types import ASGIApp

from backends.faults import Faults
from backends.settings import BackendSettings
from gateway.config import Settings

GATEWAY_URL = "http://gateway.test"
# httpx's ASGI transport presents every request as coming from this address.
LOOPBACK = "127.0.0.1"


class GatewayClient(httpx.AsyncClient):
    """A client of one gateway app; ``.app`` reaches its state (services, caches, governance)."""

    def __init__(self, app: Starlette, *, client_ip: str = LOOPBACK) -> None:
        super().__init__(transport=_transport(app, client_ip), base_url=GATEWAY_URL)
        self.app = app


# ``await gateway(**settings)`` in tests: a gateway client over the test store.
Gateway = Callable[..., Awaitable[GatewayClient]]


def asgi_client(
    app: ASGIApp, *, base_url: str = GATEWAY_URL, client_ip: str = LOOPBACK
) -> httpx.AsyncClient:
    """A client of any ASGI app; ``client_ip`` is the address the app sees requests from."""
    return httpx.AsyncClient(transport=_transport(app, client_ip), base_url=base_url)


@asynccontextmanager
async def gateway_client(
    settings: Settings, *, client_ip: str = LOOPBACK
) -> AsyncIterator[GatewayClient]:
    """The gateway app built from ``settings``, closed like its lifespan closes it."""
    # Imported on use: gateway.app pulls in the schema and the resolvers, so a module that
    # does not import fails the tests that build an app, not every test of the session.
    from gateway.app import create_app

    app = create_app(settings)
    try:
        async with GatewayClient(app, client_ip=client_ip) as client:
            yield client
    finally:
        await close_app(app)


async def close_app(app: Starlette) -> None:
    """Close what the gateway's lifespan closes on shutdown (the ASGI transport runs no
    lifespan): its backends' HTTP clients, the JWKS client, the response cache's
    subscription and the governance stores."""
    for http in app.state.http_clients.values():
        await http.aclose()
    await app.state.authenticator.aclose()
    if app.state.response_cache is not None:
        await app.state.response_cache.aclose()
    await app.state.governance.aclose()


@asynccontextmanager
async def backend_client(
    name: str, settings: BackendSettings, faults: Faults | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """Reference backend ``name`` over ``settings.db_path``, its connection pool closed after."""
    from backends.app import create_app  # on use, as gateway.app above

    app = create_app(name, settings, faults)
    try:
        async with asgi_client(app, base_url="http://backend.test") as client:
            yield client
    finally:
        app.state.pool.close()


def _transport(app: ASGIApp, client_ip: str) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=app, client=(client_ip, 50000))
