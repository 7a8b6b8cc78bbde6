"""Test/admin endpoints under /_simulator/ (no auth; loopback only; never rate limited or faulted)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from aiohttp import web

from . import roles
from .clock import format_rfc3339
from .config import FaultConfig
from .errors import invalid_data, json_response, not_found, p1_error
from .httputil import BadBody, read_json, state_of
from .refusals import Refused
from .store import LimitExceeded, ValidationFailed, secret_view

ADMIN = "/_simulator"
_FAULT_FIELDS = {f.name for f in dataclasses.fields(FaultConfig)}


def _bad(message: str, status: int = 400) -> web.Response:
    return json_response({"error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    body = await read_json(request, optional=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadBody(400, "The body must be a JSON object.")
    return body


def _handler(func):
    """Turn malformed admin requests into 400s instead of 500s."""
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await func(request)
        except BadBody as exc:
            return _bad(exc.message, exc.status)
        except (TypeError, ValueError, KeyError, re.error) as exc:
            return _bad(f"{type(exc).__name__}: {exc}")
    return wrapped


@_handler
async def health(request: web.Request) -> web.Response:
    st = state_of(request)
    return json_response({"status": "ok", "environmentId": st.environment_id,
                          "organizationId": st.organization_id,
                          "clientId": st.worker.client_id if st.worker else None,
                          "apiUrl": st.api_base, "authUrl": st.auth_base})


@_handler
async def get_requests(request: web.Request) -> web.Response:
    entries = state_of(request).requests()
    limit = request.query.get("limit")
    if limit:
        entries = entries[-int(limit):]
    return json_response({"requests": entries})


@_handler
async def clear_requests(request: web.Request) -> web.Response:
    state_of(request).clear_requests()
    return web.Response(status=204)


@_handler
async def counts(request: web.Request) -> web.Response:
    return json_response(state_of(request).counts())


@_handler
async def get_faults(request: web.Request) -> web.Response:
    return json_response(state_of(request).describe_faults())


@_handler
async def set_faults(request: web.Request) -> web.Response:
    """Merge the given FaultConfig fields (snake_case) into the current faults."""
    body = await _body(request)
    unknown = set(body) - _FAULT_FIELDS
    if unknown:
        return _bad(f"unknown fault settings: {sorted(unknown)}")
    state_of(request).set_faults(**body)
    return json_response(state_of(request).describe_faults())


@_handler
async def reset_faults(request: web.Request) -> web.Response:
    state_of(request).reset_faults()
    return web.Response(status=204)


@_handler
async def fail_next(request: web.Request) -> web.Response:
    body = await _body(request)
    status = body.get("status")
    state_of(request).fail_next(count=int(body.get("count", 1)), status=None if status is None else int(status),
                                method=str(body.get("method", "*")), path_regex=str(body.get("path_regex", ".*")),
                                body=body.get("body"))
    return json_response(state_of(request).describe_faults())


@_handler
async def get_settings(request: web.Request) -> web.Response:
    st = state_of(request)
    return json_response({"rateLimit": st.limiter.rate, "tokenLifetime": st.tokens.lifetime,
                          "strict": st.store.strict, "filterMode": st.filter_mode, "pageSize": st.page_size})


@_handler
async def set_settings(request: web.Request) -> web.Response:
    body = await _body(request)
    st = state_of(request)
    if "rateLimit" in body:
        st.set_rate_limit(None if body["rateLimit"] is None else float(body["rateLimit"]))
    if "tokenLifetime" in body:
        st.set_token_lifetime(int(body["tokenLifetime"]))
    if "strict" in body:
        st.store.strict = bool(body["strict"])
    if "filterMode" in body:
        st.set_filter_mode(body["filterMode"])
    if "pageSize" in body:
        st.set_page_size(body["pageSize"])
    return await get_settings(request)


@_handler
async def get_clock(request: web.Request) -> web.Response:
    st = state_of(request)
    return json_response({"now": format_rfc3339(st.clock.now()), "offsetSeconds": st.clock.offset})


@_handler
async def advance_clock(request: web.Request) -> web.Response:
    body = await _body(request)
    state_of(request).advance_clock(float(body["seconds"]))
    return await get_clock(request)


@_handler
async def create_environment(request: web.Request) -> web.Response:
    body = await _body(request)
    env_id = state_of(request).seed_environment(body.get("id"))
    return json_response({"id": env_id}, status=201)


@_handler
async def seed_worker(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        creds = state_of(request).seed_worker(
            request.match_info["env"], client_id=body.get("clientId"), client_secret=body.get("clientSecret"),
            auth_method=body.get("authMethod", "CLIENT_SECRET_BASIC"), name=body.get("name"),
            grant_types=body.get("grantTypes"), role_names=body.get("roles", roles.DEFAULT_WORKER_ROLES))
    except ValidationFailed as exc:
        return invalid_data(exc.details)
    except LimitExceeded:
        return _bad("application limit reached")
    return json_response({"environmentId": creds.environment_id, "clientId": creds.client_id,
                          "clientSecret": creds.client_secret, "authMethod": creds.auth_method}, status=201)


@_handler
async def list_apps(request: web.Request) -> web.Response:
    return json_response({"applications": state_of(request).list_applications(request.match_info["env"])})


@_handler
async def get_app(request: web.Request) -> web.Response:
    view = state_of(request).get_application(request.match_info["env"], request.match_info["app"])
    return json_response(view) if view else not_found()


@_handler
async def put_app(request: web.Request) -> web.Response:
    """Drift: validated full replacement, no token needed."""
    st, env_id, app_id = state_of(request), request.match_info["env"], request.match_info["app"]
    if st.store.application(env_id, app_id) is None:
        return not_found()
    try:
        return json_response(st.replace_application(env_id, app_id, await _body(request)))
    except ValidationFailed as exc:
        return invalid_data(exc.details)


@_handler
async def patch_app(request: web.Request) -> web.Response:
    """Drift: unvalidated merge (null removes a field)."""
    st, env_id, app_id = state_of(request), request.match_info["env"], request.match_info["app"]
    if st.store.application(env_id, app_id) is None:
        return not_found()
    return json_response(st.mutate_application(env_id, app_id, await _body(request)))


@_handler
async def delete_app(request: web.Request) -> web.Response:
    deleted = state_of(request).delete_application(request.match_info["env"], request.match_info["app"])
    return web.Response(status=204) if deleted else not_found()


@_handler
async def get_app_secret(request: web.Request) -> web.Response:
    st = state_of(request)
    app = st.store.application(request.match_info["env"], request.match_info["app"])
    if app is None:
        return not_found()
    return json_response(secret_view(app, st.api_base, st.clock.time()))


@_handler
async def get_role_assignments(request: web.Request) -> web.Response:
    st, env_id, app_id = state_of(request), request.match_info["env"], request.match_info["app"]
    if st.store.application(env_id, app_id) is None:
        return not_found()
    return json_response({"roleAssignments": st.role_assignments(env_id, app_id)})


def _app_list(method: str, key: str):
    """GET an application's list (grants, attributes, ...) without a token; 404 for an unknown app."""
    @_handler
    async def handle(request: web.Request) -> web.Response:
        st, env_id, app_id = state_of(request), request.match_info["env"], request.match_info["app"]
        if st.store.application(env_id, app_id) is None:
            return not_found()
        return json_response({key: getattr(st, method)(env_id, app_id)})
    return handle


@_handler
async def get_resources(request: web.Request) -> web.Response:
    st, env_id = state_of(request), request.match_info["env"]
    if st.store.environment(env_id) is None:
        return not_found()
    return json_response({"resources": st.resources(env_id)})


@_handler
async def seed_resource(request: web.Request) -> web.Response:
    """`{name, scopes?: [names], audience?, accessTokenValiditySeconds?, description?}` -> the resource."""
    st, env_id = state_of(request), request.match_info["env"]
    if st.store.environment(env_id) is None:
        return not_found()
    body = await _body(request)
    try:
        created = st.seed_resource(env_id, body.get("name"), list(body.get("scopes") or []),
                                   audience=body.get("audience"), description=body.get("description"),
                                   access_token_validity_seconds=body.get("accessTokenValiditySeconds"))
    except Refused as exc:
        return p1_error(exc.status, exc.code, exc.message, exc.details or None)
    return json_response(created, status=201)


@_handler
async def seed_grant(request: web.Request) -> web.Response:
    """`{resource: name or ID, scopes: [names or IDs]}` -> the grant."""
    st, env_id, app_id = state_of(request), request.match_info["env"], request.match_info["app"]
    body = await _body(request)
    if st.store.application(env_id, app_id) is None or st.find_resource(env_id, str(body.get("resource"))) is None:
        return not_found()
    try:
        created = st.seed_grant(env_id, app_id, str(body["resource"]), list(body.get("scopes") or []))
    except Refused as exc:
        return p1_error(exc.status, exc.code, exc.message, exc.details or None)
    return json_response(created, status=201)


@_handler
async def get_sign_on_policies(request: web.Request) -> web.Response:
    st, env_id = state_of(request), request.match_info["env"]
    if st.store.environment(env_id) is None:
        return not_found()
    return json_response({"signOnPolicies": st.sign_on_policies(env_id)})


@_handler
async def get_roles(request: web.Request) -> web.Response:
    return json_response({"roles": [{"id": role_id, "name": name} for name, role_id in roles.ROLES.items()]})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get(f"{ADMIN}/health", health)
    r.add_get(f"{ADMIN}/requests", get_requests)
    r.add_delete(f"{ADMIN}/requests", clear_requests)
    r.add_get(f"{ADMIN}/counts", counts)
    r.add_get(f"{ADMIN}/faults", get_faults)
    r.add_put(f"{ADMIN}/faults", set_faults)
    r.add_delete(f"{ADMIN}/faults", reset_faults)
    r.add_post(f"{ADMIN}/faults/fail-next", fail_next)
    r.add_get(f"{ADMIN}/settings", get_settings)
    r.add_put(f"{ADMIN}/settings", set_settings)
    r.add_get(f"{ADMIN}/clock", get_clock)
    r.add_post(f"{ADMIN}/clock/advance", advance_clock)
    r.add_post(f"{ADMIN}/environments", create_environment)
    r.add_post(f"{ADMIN}/environments/{{env}}/workers", seed_worker)
    r.add_get(f"{ADMIN}/environments/{{env}}/applications", list_apps)
    r.add_get(f"{ADMIN}/environments/{{env}}/applications/{{app}}", get_app)
    r.add_put(f"{ADMIN}/environments/{{env}}/applications/{{app}}", put_app)
    r.add_patch(f"{ADMIN}/environments/{{env}}/applications/{{app}}", patch_app)
    r.add_delete(f"{ADMIN}/environments/{{env}}/applications/{{app}}", delete_app)
    r.add_get(f"{ADMIN}/environments/{{env}}/applications/{{app}}/secret", get_app_secret)
    r.add_get(f"{ADMIN}/environments/{{env}}/applications/{{app}}/roleAssignments", get_role_assignments)
    app_path = f"{ADMIN}/environments/{{env}}/applications/{{app}}"
    r.add_get(f"{app_path}/grants", _app_list("grants", "grants"))
    r.add_post(f"{app_path}/grants", seed_grant)
    r.add_get(f"{app_path}/attributes", _app_list("attribute_mappings", "attributes"))
    r.add_get(f"{app_path}/signOnPolicyAssignments", _app_list("sign_on_policy_assignments", "signOnPolicyAssignments"))
    r.add_get(f"{ADMIN}/environments/{{env}}/resources", get_resources)
    r.add_post(f"{ADMIN}/environments/{{env}}/resources", seed_resource)
    r.add_get(f"{ADMIN}/environments/{{env}}/signOnPolicies", get_sign_on_policies)
    r.add_get(f"{ADMIN}/roles", get_roles)
