"""The gateway's HTTP clients to the backends: in-process ASGI apps or real URLs.

``CROSSFADE_<NAME>_URL`` set → real HTTP to that URL; unset → the reference backend runs in
this process behind ``httpx.ASGITransport``. The clients above this layer cannot tell.
"""

from __future__ import annotations

import httpx

from backends.app import create_app
from backends.settings import BackendSettings
from gateway.config import Settings
from resolvers.clients import BACKENDS
from resolvers.clients.policy import CallPolicy


def call_policies(settings: Settings) -> dict[str, CallPolicy]:
    """Timeout, retry and breaker settings of each backend's calls."""
    return {
        name: CallPolicy(
            timeout_s=settings.backend_timeout(name),
            max_attempts=settings.backend_max_attempts,
            backoff_base_s=settings.backend_backoff_base_s,
            backoff_cap_s=settings.backend_backoff_cap_s,
            retry_ratio=settings.backend_retry_ratio,
            retry_burst=settings.backend_retry_burst,
            breaker_failures=settings.breaker_failures,
            breaker_reset_s=settings.breaker_reset_s,
        )
        for name in BACKENDS
    }


def build_http_clients(settings: Settings) -> dict[str, httpx.AsyncClient]:
    clients: dict[str, httpx.AsyncClient] = {}
    backend_settings: BackendSettings | None = None
    for name in BACKENDS:
        # Each call passes its own (deadline-shortened) timeout; this is the fallback.
        timeout = httpx.Timeout(settings.backend_timeout(name))
        url = settings.backend_url(name)
        if url:
            clients[name] = httpx.AsyncClient(
                base_url=url,
                timeout=timeout,
                limits=httpx.Limits(
                    max_connections=settings.backend_max_connections,
                    max_keepalive_connections=settings.backend_max_connections,
                ),
            )
        else:
            backend_settings = backend_settings or BackendSettings(data_dir=settings.data_dir)
            transport = httpx.ASGITransport(app=create_app(name, backend_settings))
            clients[name] = httpx.AsyncClient(
                transport=transport, base_url=f"http://{name}.in-process", timeout=timeout
            )
    return clients
