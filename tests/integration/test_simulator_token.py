"""Token endpoint: client_credentials with BASIC, POST and CLIENT_SECRET_JWT (RFC 7523)."""

from __future__ import annotations

import time
import warnings
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from pingone_simulator.tokens import JWT_BEARER


def make_assertion(client_id: str, secret: str, aud: str | list[str] | None, *, alg: str = "HS256",
                   exp_in: float | None = 300, now: float | None = None, **claims) -> str:
    now = time.time() if now is None else now
    body = {"iss": client_id, "sub": client_id, "iat": int(now), "jti": "j1", **claims}
    if aud is not None:
        body["aud"] = aud
    if exp_in is not None:
        body["exp"] = int(now + exp_in)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short test secrets trigger PyJWT's key-length warning
        return jwt.encode(body, secret, algorithm=alg)


def token_url(sim, env_id: str) -> str:
    return f"{sim.auth_url}/{env_id}/as/token"


async def post_jwt(http, sim, creds, assertion: str, **extra):
    data = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion, **extra}
    return await http.post(f"/{creds.environment_id}/as/token", data=data)


def assert_oauth_error(response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert "Correlation ID:" in body["error_description"]


async def test_basic_succeeds(http, sim):
    creds = sim.state.worker
    response = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                               auth=(creds.client_id, creds.client_secret))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2
    assert response.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == creds.client_id
    assert claims["iss"] == f"{sim.auth_url}/{creds.environment_id}/as"


async def test_post_succeeds(http, sim):
    creds = sim.state.seed_worker(sim.environment_id, auth_method="CLIENT_SECRET_POST")
    response = await http.post(f"/{creds.environment_id}/as/token", data={
        "grant_type": "client_credentials", "client_id": creds.client_id, "client_secret": creds.client_secret})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
@pytest.mark.parametrize("aud_kind", ["token", "issuer", "list"])
async def test_client_secret_jwt_succeeds(http, sim, alg, aud_kind):
    creds = sim.state.seed_worker(sim.environment_id, auth_method="CLIENT_SECRET_JWT")
    url = token_url(sim, creds.environment_id)
    aud = {"token": url, "issuer": url.removesuffix("/token"), "list": ["https://elsewhere", url]}[aud_kind]
    response = await post_jwt(http, sim, creds, make_assertion(creds.client_id, creds.client_secret, aud, alg=alg))
    assert response.status_code == 200, response.text


async def test_jwt_iat_and_jti_not_validated(http, sim):
    creds = sim.state.seed_worker(sim.environment_id, auth_method="CLIENT_SECRET_JWT")
    assertion = make_assertion(creds.client_id, creds.client_secret, token_url(sim, creds.environment_id),
                               iat=int(time.time()) + 86400, jti=12345, extra="claims are fine")
    assert (await post_jwt(http, sim, creds, assertion)).status_code == 200


async def test_jwt_with_known_hostname_alias(http, sim):
    """The aud may use whatever host the client used to reach the simulator."""
    creds = sim.state.seed_worker(sim.environment_id, auth_method="CLIENT_SECRET_JWT")
    aud = f"http://localhost:{sim.port}/{creds.environment_id}/as/token"
    response = await http.post(
        f"http://localhost:{sim.port}/{creds.environment_id}/as/token",
        data={"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER,
              "client_assertion": make_assertion(creds.client_id, creds.client_secret, aud)})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("case", [
    "wrong_aud", "api_aud", "missing_aud", "iss_not_sub", "unknown_iss", "expired", "too_far", "missing_exp",
    "nbf_future", "alg_none", "wrong_secret", "client_id_mismatch", "garbage"])
async def test_jwt_rejections(http, sim, case):
    creds = sim.state.seed_worker(sim.environment_id, auth_method="CLIENT_SECRET_JWT")
    url = token_url(sim, creds.environment_id)
    cid, secret, extra = creds.client_id, creds.client_secret, {}
    assertion = {
        "wrong_aud": lambda: make_assertion(cid, secret, "https://auth.pingone.com/other/as/token"),
        "api_aud": lambda: make_assertion(cid, secret, sim.api_url),
        "missing_aud": lambda: make_assertion(cid, secret, None),
        "iss_not_sub": lambda: make_assertion(cid, secret, url, sub="someone-else"),
        "unknown_iss": lambda: make_assertion("no-such-client", secret, url),
        "expired": lambda: make_assertion(cid, secret, url, exp_in=-5),
        "too_far": lambda: make_assertion(cid, secret, url, exp_in=3600 + 120),
        "missing_exp": lambda: make_assertion(cid, secret, url, exp_in=None),
        "nbf_future": lambda: make_assertion(cid, secret, url, nbf=int(time.time()) + 600),
        "alg_none": lambda: jwt.encode({"iss": cid, "sub": cid, "aud": url, "exp": int(time.time()) + 60},
                                       None, algorithm="none"),
        "wrong_secret": lambda: make_assertion(cid, "x" * 64, url),
        "client_id_mismatch": lambda: make_assertion(cid, secret, url),
        "garbage": lambda: "not-a-jwt",
    }[case]()
    if case == "client_id_mismatch":
        extra["client_id"] = "another-client"
    assert_oauth_error(await post_jwt(http, sim, creds, assertion, **extra), 401, "invalid_client")


async def test_jwt_wrong_assertion_type(http, sim):
    creds = sim.state.seed_worker(sim.environment_id, auth_method="CLIENT_SECRET_JWT")
    assertion = make_assertion(creds.client_id, creds.client_secret, token_url(sim, creds.environment_id))
    response = await http.post(f"/{creds.environment_id}/as/token", data={
        "grant_type": "client_credentials", "client_assertion_type": "urn:other", "client_assertion": assertion})
    assert_oauth_error(response, 400, "invalid_request")


async def test_method_mismatch_is_invalid_client(http, sim):
    creds = sim.state.worker  # configured for CLIENT_SECRET_BASIC
    response = await http.post(f"/{creds.environment_id}/as/token", data={
        "grant_type": "client_credentials", "client_id": creds.client_id, "client_secret": creds.client_secret})
    assert_oauth_error(response, 401, "invalid_client")
    assert "Unsupported authentication method" in response.json()["error_description"]
    jwt_creds = sim.state.seed_worker(sim.environment_id, auth_method="CLIENT_SECRET_JWT")
    response = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                               auth=(jwt_creds.client_id, jwt_creds.client_secret))
    assert_oauth_error(response, 401, "invalid_client")


async def test_wrong_secret_and_unknown_client(http, sim):
    creds = sim.state.worker
    wrong = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                            auth=(creds.client_id, creds.client_secret + "x"))
    assert_oauth_error(wrong, 401, "invalid_client")
    assert wrong.headers.get("WWW-Authenticate", "").startswith("Basic")
    unknown = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                              auth=("nobody", "secret"))
    assert_oauth_error(unknown, 401, "invalid_client")
    other_env = await http.post("/00000000-0000-0000-0000-000000000000/as/token",
                                data={"grant_type": "client_credentials"}, auth=(creds.client_id, creds.client_secret))
    assert_oauth_error(other_env, 401, "invalid_client")


async def test_basic_must_not_repeat_secret_in_body(http, sim):
    creds = sim.state.worker
    response = await http.post(f"/{creds.environment_id}/as/token",
                               data={"grant_type": "client_credentials", "client_secret": creds.client_secret},
                               auth=(creds.client_id, creds.client_secret))
    assert_oauth_error(response, 400, "invalid_request")


async def test_grant_type_errors(http, sim, api, web_app_body):
    creds = sim.state.worker
    auth = (creds.client_id, creds.client_secret)
    missing = await http.post(f"/{creds.environment_id}/as/token", data={"scope": "x"}, auth=auth)
    assert_oauth_error(missing, 400, "invalid_request")
    other = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "password"}, auth=auth)
    assert_oauth_error(other, 400, "unsupported_grant_type")
    web = await api.create_ok(web_app_body())
    secret = (await api.get_secret(web["id"])).json()["secret"]
    not_allowed = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                                  auth=(web["id"], secret))
    assert_oauth_error(not_allowed, 400, "unauthorized_client")


async def test_json_body_is_invalid_request(http, sim):
    creds = sim.state.worker
    response = await http.post(f"/{creds.environment_id}/as/token", json={"grant_type": "client_credentials"},
                               auth=(creds.client_id, creds.client_secret))
    assert_oauth_error(response, 400, "invalid_request")


async def test_disabled_app_cannot_get_tokens(http, sim):
    creds = sim.state.seed_worker(sim.environment_id)
    sim.state.mutate_application(creds.environment_id, creds.client_id, {"enabled": False})
    response = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                               auth=(creds.client_id, creds.client_secret))
    assert_oauth_error(response, 401, "invalid_client")


async def test_previous_secret_authenticates_until_expiry(http, sim, api, worker_body):
    app = await api.create_ok(worker_body())
    old = (await api.get_secret(app["id"])).json()["secret"]
    expires = datetime.now(timezone.utc) + timedelta(minutes=5)
    rotated = await api.rotate_secret(app["id"], {"previous": {"expiresAt": expires.isoformat()}})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]

    async def status_with(secret: str) -> int:
        response = await http.post(f"/{sim.environment_id}/as/token", data={"grant_type": "client_credentials"},
                                   auth=(app["id"], secret))
        return response.status_code

    assert await status_with(new) == 200
    assert await status_with(old) == 200
    assert "lastUsed" in (await api.get_secret(app["id"])).json()["previous"]
    sim.state.advance_clock(5 * 60 + 1)
    api.headers["Authorization"] = f"Bearer {sim.state.issue_token(sim.environment_id, sim.state.worker.client_id)}"
    assert await status_with(old) == 401
    assert await status_with(new) == 200
    assert "previous" not in (await api.get_secret(app["id"])).json()


async def test_previous_secret_works_for_client_secret_jwt(http, sim, api, worker_body):
    app = await api.create_ok(worker_body(tokenEndpointAuthMethod="CLIENT_SECRET_JWT"))
    old = (await api.get_secret(app["id"])).json()["secret"]
    expires = datetime.now(timezone.utc) + timedelta(minutes=2)
    await api.rotate_secret(app["id"], {"previous": {"expiresAt": expires.isoformat()}})
    creds = type("C", (), {"environment_id": sim.environment_id})
    url = token_url(sim, sim.environment_id)
    assert (await post_jwt(http, sim, creds, make_assertion(app["id"], old, url))).status_code == 200
