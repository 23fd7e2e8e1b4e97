"""The gateway's HTTP clients to the backends: in-process ASGI apps or real URLs.

``CROSSFADE_<NAME>_URL`` set → real HTTP to that URL, over aiohttp (``gateway/transport.py``;
``CROSSFADE_BACKEND_TRANSPORT=httpx`` keeps httpx's own); unset → the reference backend runs
in this process behind ``httpx.ASGITransport``. The clients above this layer cannot tell.
"""

from __future__ import annotations

from http.cookiejar import CookieJar
from typing import Any

import httpx

from backends.app import create_app
from backends.names import BACKENDS
from backends.settings import BackendSettings
from gateway.config import Settings
from gateway.transport import AiohttpTransport


class _NoCookies(CookieJar):
    """The backends set no cookies: httpx would still parse every response for them."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None


def build_http_clients(settings: Settings, *, traced: bool = False) -> dict[str, httpx.AsyncClient]:
    """``traced``: in-process backends answer their SQL time (``Server-Timing``) for the
    gateway's client spans; they make no spans of their own."""
    clients: dict[str, httpx.AsyncClient] = {}
    backend_settings: BackendSettings | None = None
    for name in BACKENDS:
        # Each call passes its own (deadline-shortened) timeout; this is the fallback.
        timeout = httpx.Timeout(settings.backend_timeout(name))
        url = settings.backend_url(name)
        if url:
            fast = (
                AiohttpTransport(max_connections=settings.backend_max_connections)
                if settings.backend_transport == "aiohttp"
                else None
            )
            clients[name] = httpx.AsyncClient(
                base_url=url,
                timeout=timeout,
                transport=fast,
                cookies=_NoCookies(),
                limits=httpx.Limits(
                    max_connections=settings.backend_max_connections,
                    max_keepalive_connections=settings.backend_max_connections,
                ),
            )
        else:
            backend_settings = backend_settings or BackendSettings(data_dir=settings.data_dir)
            transport = httpx.ASGITransport(app=create_app(name, backend_settings, time_sql=traced))
            clients[name] = httpx.AsyncClient(
                transport=transport,
                base_url=f"http://{name}.in-process",
                timeout=timeout,
                cookies=_NoCookies(),
            )
    return clients
