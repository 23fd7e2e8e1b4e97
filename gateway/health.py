"""Liveness (``/healthz``) and readiness (``/readyz``: data, model and every backend).

``/readyz`` also reports each backend's circuit breaker (closed, open, half_open); readiness
follows the direct probes, so a backend that came back reads ready before its breaker closes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _probe(name: str, client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
    try:
        response = await client.get("/healthz", timeout=1.0)
    except httpx.HTTPError as exc:
        return name, {"ok": False, "error": type(exc).__name__}
    return name, {"ok": response.status_code == 200, "status": response.status_code}


async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    probes = await asyncio.gather(*(_probe(n, c) for n, c in state.http_clients.items()))
    backends = dict(probes)
    # What the gateway's own calls see: an open circuit fails them fast until it recovers.
    for name, client in state.services.clients.backends().items():
        if name in backends:
            backends[name]["circuit"] = client.breaker.state.name.lower()
    model: dict[str, Any]
    try:
        model = {"ok": True, "version": state.services.ranking.core.version}
    except Exception as exc:  # a missing or broken model: not ready, say why
        model = {"ok": False, "error": str(exc)}
    ready = model["ok"] and all(b["ok"] for b in backends.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "backends": backends, "model": model},
        status_code=200 if ready else 503,
    )
