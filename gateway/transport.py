"""Real HTTP to the backends over aiohttp, under the same ``httpx.AsyncClient`` API.

httpx's own transport (httpcore) spends more CPU per backend call than the rest of the call
together; aiohttp's HTTP/1.1 client (C parser, pooled keep-alive connections) does the same
work for a fraction of it (``bench/transport_bench.py`` measures both, side by side). The
clients above keep httpx: requests, timeouts and errors look exactly as before, so the
in-process mode (``httpx.ASGITransport``) and this one stay interchangeable.

The body is read whole here and handed to httpx as content, and aiohttp's failures become the
httpx exceptions httpcore raises for the same failure, which the backend clients map to error
codes: a refused or dropped connection is a (retryable) ``BACKEND_UNAVAILABLE``, only a
timeout is a ``BACKEND_TIMEOUT``.
"""

from __future__ import annotations

import aiohttp
import httpx
from yarl import URL


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport sending each request through one pooled ``aiohttp`` session."""

    def __init__(self, *, max_connections: int, keepalive_s: float = 5.0) -> None:
        self._max_connections = max_connections
        self._keepalive_s = keepalive_s
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        # Made on first use: a session belongs to the event loop that serves the requests.
        connector = aiohttp.TCPConnector(
            limit=self._max_connections,
            keepalive_timeout=self._keepalive_s,
            ttl_dns_cache=300,
        )
        return aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # httpx decodes by the response headers, as it always did
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session
        if session is None or session.closed:
            session = self._session = self._open()
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("pool"),
            sock_connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        try:
            async with session.request(
                request.method,
                URL(str(request.url), encoded=True),  # httpx already encoded it
                headers=request.headers,
                data=request.content or None,
                allow_redirects=False,
                timeout=timeout,
            ) as answer:
                body = await answer.read()
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ServerDisconnectedError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc), request=request) from exc
        return httpx.Response(
            status_code=answer.status,
            headers=answer.raw_headers,
            content=body,
            request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
