"""Operator endpoints, answered to loopback clients only.

``POST /admin/reload-model`` swaps in the model version ``data/models/CURRENT`` names (after a
``crossfade train``) without a restart; requests already running keep the core they started
with, since each reads ``RankingHolder.core`` once. Anything not from 127.0.0.0/8 or ::1 gets
403: the endpoint is for the machine's own operator, never for listeners, and sits behind the
same CSRF rule as every other POST, so a web page cannot trigger it through a browser.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.refusal import refusal
from resolvers.clients.errors import ErrorCode

log = logging.getLogger("crossfade.admin")


def is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a unix socket or a test client's made-up name
        return False


async def reload_model(request: Request) -> Response:
    if not is_loopback(request):
        return refusal(ErrorCode.FORBIDDEN, "Loopback clients only.")
    ranking = request.app.state.services.ranking
    try:
        # Loading reads and validates a few hundred MB at most; keep the event loop serving.
        version = await asyncio.to_thread(ranking.reload)
    except FileNotFoundError as exc:  # ModelNotFoundError: keep serving the loaded model
        log.warning("model reload failed: %s", exc)
        # The request is fine; the server's state (no trained model to load) refuses it.
        return refusal(ErrorCode.CONFLICT, str(exc))
    cache = getattr(request.app.state, "response_cache", None)
    if cache is not None:
        cache.clear()  # recommendations, mixes and search order come from the model
    log.info("ranking model reloaded", extra={"fields": {"version": version}})
    return JSONResponse({"version": version})
