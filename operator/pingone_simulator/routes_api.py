"""Management API: /v1/environments/{envId}/applications[/{appId}[/secret]] (the rest: api_collections.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import errors, listing
from .apiauth import authorize
from .clock import parse_rfc3339
from .httputil import BadBody, api_base, read_json, state_of
from .store import Application, LimitExceeded, ValidationFailed, secret_view

PREFIX = "/v1/environments/{env}/applications"
MIN_PREVIOUS, MAX_PREVIOUS = 60, 30 * 24 * 3600  # previous.expiresAt: 1 minute to 30 days ahead


def _guard(request: web.Request) -> tuple[str, dict[str, Any] | None, web.Response | None]:
    env_id = request.match_info["env"]
    claims, denied = authorize(request, env_id)
    return env_id, claims, denied


def _find(request: web.Request, env_id: str) -> Application | None:
    return state_of(request).store.application(env_id, request.match_info["app"])


def _bad_body(exc: BadBody) -> web.Response:
    return errors.p1_error(exc.status, "INVALID_REQUEST", exc.message)


async def list_applications(request: web.Request) -> web.Response:
    env_id, _, denied = _guard(request)
    if denied:
        return denied
    st = state_of(request)
    apps = list(st.store.environments[env_id].applications.values())
    try:
        apps = listing.filtered(apps, request.query.get("filter"), st.filter_mode)
        page = listing.page(apps, request.query, st.page_size)
    except listing.ListRefused as exc:
        return errors.invalid_request(exc.message, exc.details)
    base = api_base(request)
    url = f"{base}/environments/{env_id}/applications"
    raw_query = request.rel_url.raw_query_string
    links = {"self": {"href": f"{url}?{raw_query}" if raw_query else url}}
    if page.next_cursor is not None:
        links["next"] = {"href": listing.next_href(url, request.query, page.next_cursor)}
    items = [a.view(base) for a in page.items]
    body = {"_links": links, "_embedded": {"applications": items}, "count": page.total, "size": len(items)}
    return errors.json_response(body)


async def create_application(request: web.Request) -> web.Response:
    env_id, claims, denied = _guard(request)
    if denied:
        return denied
    st = state_of(request)
    actor = st.store.application(env_id, claims["client_id"])  # authorize() made sure it exists
    try:
        body = await read_json(request)
        app = st.store.create_application(env_id, body, actor_roles=actor.role_assignments)
    except BadBody as exc:
        return _bad_body(exc)
    except ValidationFailed as exc:
        return errors.invalid_data(exc.details)
    except LimitExceeded:
        limit = st.store.max_applications
        return errors.invalid_data([errors.detail(
            "SIZE_LIMIT_EXCEEDED", None, f"The environment already has the maximum of {limit} applications.",
            maximumValue=limit)])
    view = app.view(api_base(request))
    return errors.json_response(view, status=201, headers={"Location": view["_links"]["self"]["href"]})


async def read_application(request: web.Request) -> web.Response:
    env_id, _, denied = _guard(request)
    if denied:
        return denied
    app = _find(request, env_id)
    return errors.json_response(app.view(api_base(request))) if app else errors.not_found()


async def update_application(request: web.Request) -> web.Response:
    env_id, _, denied = _guard(request)
    if denied:
        return denied
    if _find(request, env_id) is None:
        return errors.not_found()
    try:
        body = await read_json(request)
        app = state_of(request).store.replace_application(env_id, request.match_info["app"], body)
    except BadBody as exc:
        return _bad_body(exc)
    except ValidationFailed as exc:
        return errors.invalid_data(exc.details)
    return errors.json_response(app.view(api_base(request)))


async def delete_application(request: web.Request) -> web.Response:
    env_id, _, denied = _guard(request)
    if denied:
        return denied
    if not state_of(request).store.delete_application(env_id, request.match_info["app"]):
        return errors.not_found()
    return web.Response(status=204)


def _secret_guard(request: web.Request) -> tuple[Application | None, web.Response | None]:
    env_id, claims, denied = _guard(request)
    if denied:
        return None, denied
    app = _find(request, env_id)
    if app is None:
        return None, errors.not_found()
    if claims and claims.get("client_id") == app.id:
        return None, errors.forbidden()  # a worker cannot read or rotate its own secret
    return app, None


async def read_secret(request: web.Request) -> web.Response:
    app, denied = _secret_guard(request)
    if denied:
        return denied
    st = state_of(request)
    return errors.json_response(secret_view(app, api_base(request), st.clock.time()))


async def rotate_secret(request: web.Request) -> web.Response:
    app, denied = _secret_guard(request)
    if denied:
        return denied
    st = state_of(request)
    if request.content_type == "application/vnd.pingidentity.secret+json":
        return errors.invalid_request(
            "The request could not be completed. Setting a secret is only supported for imported applications.")
    try:
        body = await read_json(request, optional=True)
    except BadBody as exc:
        return _bad_body(exc)
    expires_at, problem = _previous_expiry(body, st.clock.time())
    if problem:
        return errors.invalid_data([problem])
    st.store.rotate_secret(app, expires_at)
    return errors.json_response(secret_view(app, api_base(request), st.clock.time()))


def _previous_expiry(body: Any, now: float) -> tuple[float | None, dict[str, Any] | None]:
    if body is None or body == {}:
        return None, None
    if not isinstance(body, dict) or not isinstance(body.get("previous", {}), dict):
        return None, errors.detail("INVALID_VALUE", "previous", "previous must be an object.")
    previous = body.get("previous")
    if previous is None:
        return None, None
    if "expiresAt" not in previous:
        return None, errors.detail("REQUIRED_VALUE", "previous.expiresAt", "previous.expiresAt is required.")
    moment = parse_rfc3339(previous["expiresAt"])
    if moment is None:
        return None, errors.detail("INVALID_VALUE", "previous.expiresAt",
                                   "previous.expiresAt must be an RFC 3339 timestamp.")
    seconds = moment.timestamp()
    if not now + MIN_PREVIOUS <= seconds <= now + MAX_PREVIOUS:
        return None, errors.detail("OUT_OF_RANGE", "previous.expiresAt",
                                   "previous.expiresAt must be between 1 minute and 30 days in the future.")
    return seconds, None


async def delete_previous_secret(request: web.Request) -> web.Response:
    app, denied = _secret_guard(request)
    if denied:
        return denied
    app.previous = None
    return web.Response(status=204)


def add_routes(app: web.Application) -> None:
    app.router.add_get(PREFIX, list_applications)
    app.router.add_post(PREFIX, create_application)
    app.router.add_get(PREFIX + "/{app}", read_application)
    app.router.add_put(PREFIX + "/{app}", update_application)
    app.router.add_delete(PREFIX + "/{app}", delete_application)
    app.router.add_get(PREFIX + "/{app}/secret", read_secret)
    app.router.add_post(PREFIX + "/{app}/secret", rotate_secret)
    app.router.add_delete(PREFIX + "/{app}/secret", delete_previous_secret)
