"""Per-request pipeline for PingOne routes: rate limit, faults, error mapping, request log."""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from . import errors, malformed
from .clock import format_rfc3339
from .httputil import state_of
from .reqlog import parse_body
from .routes_admin import ADMIN

log = logging.getLogger("pingone_simulator")


class Dropped(Exception):
    """The connection was closed on purpose without a response."""


def _route_of(request: web.Request) -> str:
    info = request.match_info.route.resource
    return info.canonical if info is not None else "<unmatched>"


def _is_token(path: str) -> bool:
    return path.endswith("/as/token")


def _error_for(path: str, status: int) -> web.Response:
    return errors.oauth_for_status(status) if _is_token(path) else errors.for_status(status)


@web.middleware
async def pipeline(request: web.Request, handler) -> web.StreamResponse:
    if request.path.startswith(ADMIN + "/") or request.path == ADMIN:
        return await handler(request)
    st = state_of(request)
    started = time.perf_counter()
    raw = await request.read()
    response: web.StreamResponse | None = None
    fault = ""
    try:
        response, fault = await _guarded(request, handler, st)
        return response
    except Dropped:
        # aiohttp needs a response object; the transport is already gone so nothing is sent.
        fault = "drop"
        return web.Response(status=499)
    finally:
        status = response.status if response is not None else None
        st.log.record(method=request.method, path=request.path, route=_route_of(request), status=status,
                      timestamp=format_rfc3339(st.clock.now()), duration_ms=(time.perf_counter() - started) * 1000,
                      body=parse_body(raw, request.content_type), fault=fault)
        # Path and status only: never headers or bodies, which carry secrets and tokens.
        log.debug("%s %s -> %s%s", request.method, request.path, status, f" ({fault})" if fault else "")


async def _guarded(request: web.Request, handler, st) -> tuple[web.StreamResponse, str]:
    retry_after = st.limiter.acquire()
    if retry_after is not None:
        if _is_token(request.path):
            return errors.oauth_error(429, "temporarily_unavailable", "Request limited.",
                                      {"Retry-After": str(retry_after)}), "rate_limit"
        return errors.rate_limited(retry_after), "rate_limit"
    decision = st.faults.decide(request.method, request.path, _is_token(request.path))
    if decision.delay > 0:
        await asyncio.sleep(decision.delay)
    if decision.drop:
        if request.transport is not None:
            request.transport.abort()
        raise Dropped()
    if decision.status is None:
        return await _handle(request, handler)
    if decision.body == "html":
        return malformed.html_page(decision.status), decision.reason
    if decision.body:
        # The request takes effect; only its answer is damaged on the way back.
        response, _ = await _handle(request, handler)
        return malformed.rewrite(response, decision.body, decision.status), decision.reason
    return _error_for(request.path, decision.status), decision.reason


async def _handle(request: web.Request, handler) -> tuple[web.StreamResponse, str]:
    try:
        return await handler(request), ""
    except web.HTTPException as exc:
        if exc.status == 404:
            return errors.not_found(), ""
        if exc.status == 405:
            return errors.p1_error(405, "METHOD_NOT_ALLOWED", "The request method is not supported."), ""
        raise
    except Exception:  # noqa: BLE001 - a simulator bug must look like PingOne's 500, and be logged
        log.exception("unhandled error in %s %s", request.method, request.path)
        return errors.for_status(500), "exception"
