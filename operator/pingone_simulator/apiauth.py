"""Who is calling the management API: bearer-token checks shared by every /v1 route."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import errors
from .httputil import state_of
from .store import Application


def authorize(request: web.Request, env_id: str | None) -> tuple[dict[str, Any] | None, web.Response | None]:
    """401 for a missing/invalid/expired token, 403 for an unknown environment or a non-worker.

    `env_id` None: a route outside any environment (the roles catalogue); any enabled worker may call it.
    """
    st = state_of(request)
    header = request.headers.get("Authorization", "")
    if not header[:7].lower() == "bearer " or not header[7:].strip():
        return None, errors.unauthenticated("The access token is missing.")
    claims, reason = st.tokens.verify(header[7:].strip())
    if claims is None:
        return None, errors.unauthenticated(reason)
    if env_id is not None and st.store.environment(env_id) is None:
        # PingOne answers 403, not 404, for an environment that does not exist.
        return None, errors.forbidden(errors.NO_ACCESS_MESSAGE)
    actor = actor_of(request, claims)
    if (env_id is not None and claims.get("env") != env_id) or actor is None \
            or actor.fields.get("type") != "WORKER" or not actor.fields.get("enabled"):
        return None, errors.forbidden()
    return claims, None


def actor_of(request: web.Request, claims: dict[str, Any]) -> Application | None:
    """The application a token was issued to."""
    return state_of(request).store.application(claims.get("env", ""), claims.get("client_id", ""))
