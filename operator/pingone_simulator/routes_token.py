"""Auth server: POST /{envId}/as/token (client_credentials only; scopes from grants: token_scopes.py)."""

from __future__ import annotations

from aiohttp import web

from . import errors, token_scopes
from .httputil import origin, state_of
from .tokens import OAuthError, authenticate, extract_credentials

TOKEN_PATH = "/{env}/as/token"


async def token(request: web.Request) -> web.Response:
    try:
        return await _token(request)
    except OAuthError as exc:
        headers = {"WWW-Authenticate": 'Basic realm="PingOne"'} if exc.status == 401 else None
        return errors.oauth_error(exc.status, exc.error, exc.description, headers)


async def _token(request: web.Request) -> web.Response:
    st = state_of(request)
    env_id = request.match_info["env"]
    if request.content_type != "application/x-www-form-urlencoded":
        raise OAuthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.")
    posted = await request.post()
    form: dict[str, str] = {}
    for key, value in posted.items():
        if key in form:  # RFC 6749 §3.2: parameters must not repeat
            raise OAuthError(400, "invalid_request", f"Parameter {key} is repeated.")
        form[key] = str(value)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError(400, "invalid_request", "grant_type is required.")
    creds = extract_credentials(request.headers.get("Authorization"), form)
    env = st.store.environment(env_id)
    app = env.applications.get(creds.client_id) if env else None
    if app is None:
        raise OAuthError(401, "invalid_client", "Request denied: Invalid client credentials")
    issuer = f"{origin(request)}/{env_id}/as"
    audiences = {issuer, issuer + "/token"}
    if st.auth_base:
        configured = f"{st.auth_base}/{env_id}/as"
        audiences |= {configured, configured + "/token"}
    now = st.clock.time()
    authenticate(app, creds, now, audiences)
    if not app.fields.get("enabled"):
        raise OAuthError(401, "invalid_client", "Request denied: The application is disabled.")
    if grant_type != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", f"Grant type {grant_type!r} is not supported.")
    if "CLIENT_CREDENTIALS" not in app.fields.get("grantTypes", []):
        raise OAuthError(400, "unauthorized_client", "The application is not allowed the client_credentials grant.")
    issue = token_scopes.resolve(list(app.grants.values()), env.resources, form.get("scope"),
                                 app.fields.get("requestScopesForMultipleResourcesEnabled") is True)
    if not issue.resources:
        access_token = st.tokens.mint(env_id, app.id, issuer, origin(request))
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": st.tokens.lifetime}
    else:
        audiences = [r.audience(st.api_base) for r in issue.resources]
        access_token = st.tokens.mint_for_resources(env_id, app.id, issuer, audiences, issue.scopes, issue.lifetime)
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": issue.lifetime,
                "scope": " ".join(issue.scopes)}
    return errors.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def add_routes(app: web.Application) -> None:
    app.router.add_post(TOKEN_PATH, token)
