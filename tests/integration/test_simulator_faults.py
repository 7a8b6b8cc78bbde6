"""Rate limiting, fault injection, the request log and the /_simulator/ admin endpoints."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import httpx
import jwt
import pytest

from pingone_simulator import FailRule, FaultConfig
from pingone_simulator.tokens import JWT_BEARER


# -- rate limit ----------------------------------------------------------------------------

async def test_rate_limit_returns_429_with_retry_after(sim_factory, connect):
    sim = await sim_factory(rate_limit=2)
    api = connect(sim)
    statuses = [(await api.list()) for _ in range(6)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and statuses[0].status_code == 200
    response = limited[0]
    retry_after = int(response.headers["Retry-After"])
    assert retry_after >= 1
    body = response.json()
    assert body["code"] == "REQUEST_LIMITED"
    assert body["details"][0]["code"] == "LIMIT_EXCEEDED"
    assert body["details"][0]["innerError"]["retryAfter"] == retry_after
    admin = await api.http.get("/_simulator/health")  # admin routes are never limited
    assert admin.status_code == 200


async def test_rate_limit_applies_to_token_endpoint_and_recovers(sim_factory, connect):
    sim = await sim_factory(rate_limit=1)
    api = connect(sim)
    creds = sim.state.worker
    results = []
    for _ in range(3):
        results.append(await api.http.post(f"/{creds.environment_id}/as/token",
                                           data={"grant_type": "client_credentials"},
                                           auth=(creds.client_id, creds.client_secret)))
    assert [r.status_code for r in results][:1] == [200]
    assert 429 in [r.status_code for r in results]
    assert "Retry-After" in next(r for r in results if r.status_code == 429).headers
    await asyncio.sleep(1.1)
    assert (await api.list()).status_code == 200


async def test_rate_limit_set_at_runtime(http, api):
    response = await http.put("/_simulator/settings", json={"rateLimit": 1})
    assert response.json()["rateLimit"] == 1
    codes = [(await api.list()).status_code for _ in range(3)]
    assert 429 in codes
    await http.put("/_simulator/settings", json={"rateLimit": None})
    assert [(await api.list()).status_code for _ in range(5)] == [200] * 5


# -- faults --------------------------------------------------------------------------------

@pytest.mark.parametrize("status,code", [(500, "UNEXPECTED_ERROR"), (503, "SERVICE_UNAVAILABLE")])
async def test_error_rate(sim_factory, connect, status, code):
    sim = await sim_factory(faults=FaultConfig(error_rate=1.0, error_status=status))
    response = await connect(sim).list()
    assert response.status_code == status
    assert response.json()["code"] == code
    if status == 503:
        assert response.headers["Retry-After"] == "1"


async def test_faults_are_deterministic_with_a_seed(sim_factory, connect):
    async def sequence() -> list[int]:
        sim = await sim_factory(faults=FaultConfig(error_rate=0.5, seed=42))
        api = connect(sim)
        return [(await api.list()).status_code for _ in range(20)]

    first, second = await sequence(), await sequence()
    assert first == second
    assert {200, 500} == set(first)


async def test_latency(http, api, sim):
    sim.state.set_faults(latency_ms=200)
    started = time.perf_counter()
    assert (await api.list()).status_code == 200
    assert time.perf_counter() - started >= 0.2


async def test_dropped_connection(http, api, sim):
    await http.put("/_simulator/faults", json={"drop_rate": 1.0})
    with pytest.raises(httpx.TransportError):
        await api.list()
    await http.delete("/_simulator/faults")
    assert (await api.list()).status_code == 200
    dropped = [e for e in sim.state.requests() if e["fault"] == "drop"]
    assert dropped and dropped[0]["status"] is None


async def test_token_outage(http, api, sim):
    sim.state.set_faults(token_outage=True)
    creds = sim.state.worker
    response = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                               auth=(creds.client_id, creds.client_secret))
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert (await api.list()).status_code == 200  # management API unaffected
    sim.state.set_faults(token_outage=False)
    response = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                               auth=(creds.client_id, creds.client_secret))
    assert response.status_code == 200


async def test_fail_next_matching_requests(http, api, web_app_body):
    app = await api.create_ok(web_app_body())
    response = await http.post("/_simulator/faults/fail-next",
                               json={"count": 2, "status": 409, "method": "PUT", "path_regex": r"/applications/[^/]+$"})
    assert response.status_code == 200
    assert (await api.get(app["id"])).status_code == 200  # GET does not match
    assert (await api.put(app["id"], web_app_body())).status_code == 409
    assert (await api.put(app["id"], web_app_body())).status_code == 409
    assert (await api.put(app["id"], web_app_body())).status_code == 200


async def test_fail_next_from_config_and_python(sim_factory, connect):
    sim = await sim_factory(faults=FaultConfig(fail_next=[FailRule("GET", "/applications$", 500, 1)]))
    api = connect(sim)
    assert (await api.list()).status_code == 500
    assert (await api.list()).status_code == 200
    sim.state.fail_next(status=429, path_regex="/applications$")
    limited = await api.list()
    assert limited.status_code == 429 and limited.json()["code"] == "REQUEST_LIMITED"
    sim.state.fail_next(status=500, path_regex="/as/token$")
    creds = sim.state.worker
    token = await api.http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                                auth=(creds.client_id, creds.client_secret))
    assert token.status_code == 500 and token.json()["error"] == "server_error"


async def test_bad_fault_settings_are_400(http):
    assert (await http.put("/_simulator/faults", json={"nope": 1})).status_code == 400
    assert (await http.post("/_simulator/faults/fail-next", json={"path_regex": "("})).status_code == 400


# -- request log ---------------------------------------------------------------------------

async def test_request_log_redacts_secrets_and_tokens(http, api, sim, worker_body, caplog):
    caplog.set_level(logging.DEBUG)
    app = await api.create_ok(worker_body(clientSecret=None))
    secret = (await api.get_secret(app["id"])).json()["secret"]
    sim.state.mutate_application(sim.environment_id, app["id"], {"tokenEndpointAuthMethod": "CLIENT_SECRET_POST"})
    post = await http.post(f"/{sim.environment_id}/as/token", data={
        "grant_type": "client_credentials", "client_id": app["id"], "client_secret": secret})
    assert post.status_code == 200
    token = post.json()["access_token"]
    sim.state.mutate_application(sim.environment_id, app["id"], {"tokenEndpointAuthMethod": "CLIENT_SECRET_JWT"})
    assertion = jwt.encode({"iss": app["id"], "sub": app["id"], "exp": int(time.time()) + 60,
                            "aud": f"{sim.auth_url}/{sim.environment_id}/as/token"}, secret, algorithm="HS256")
    jwt_post = await http.post(f"/{sim.environment_id}/as/token", data={
        "grant_type": "client_credentials", "client_assertion_type": JWT_BEARER, "client_assertion": assertion})
    assert jwt_post.status_code == 200
    await api.rotate_secret(app["id"], {"previous": {"expiresAt": "2099-01-01T00:00:00Z"}})  # 400, logged
    log = (await http.get("/_simulator/requests")).json()["requests"]
    dumped = json.dumps(log)
    for sensitive in (secret, token, assertion, jwt_post.json()["access_token"], api.headers["Authorization"][7:]):
        assert sensitive not in dumped
        assert sensitive not in caplog.text
    token_bodies = [e["body"] for e in log if e["path"].endswith("/as/token")]
    assert {"grant_type": "client_credentials", "client_id": app["id"], "client_secret": "[REDACTED]"} in token_bodies
    assert any(b.get("client_assertion") == "[REDACTED]" for b in token_bodies)
    entry = next(e for e in log if e["method"] == "POST" and e["path"] == api.path())
    assert {"method", "path", "status", "timestamp", "body"} <= set(entry)
    assert entry["method"] == "POST" and entry["status"] == 201 and entry["body"]["name"] == "worker-app"


async def test_request_log_clear_and_counts(http, api, web_app_body):
    await http.delete("/_simulator/requests")
    app = await api.create_ok(web_app_body())
    await api.get(app["id"])
    await api.get(app["id"])
    await api.put(app["id"], web_app_body())
    counts = (await http.get("/_simulator/counts")).json()
    assert counts["byMethod"] == {"POST": 1, "GET": 2, "PUT": 1}
    assert counts["byRoute"]["GET /v1/environments/{env}/applications/{app}"] == 2
    assert counts["total"] == 4
    assert len((await http.get("/_simulator/requests")).json()["requests"]) == 4
    assert len((await http.get("/_simulator/requests", params={"limit": 1})).json()["requests"]) == 1
    assert (await http.delete("/_simulator/requests")).status_code == 204
    assert (await http.get("/_simulator/counts")).json()["total"] == 0


# -- admin endpoints -----------------------------------------------------------------------

async def test_admin_seed_environment_and_worker(http, connect, sim):
    env = (await http.post("/_simulator/environments", json={"id": "env-admin-test"})).json()["id"]
    assert env == "env-admin-test"
    seeded = await http.post(f"/_simulator/environments/{env}/workers",
                             json={"clientId": "known-client", "clientSecret": "known-secret-value",
                                   "authMethod": "CLIENT_SECRET_POST"})
    assert seeded.status_code == 201
    token = await http.post(f"/{env}/as/token", data={"grant_type": "client_credentials",
                                                      "client_id": "known-client",
                                                      "client_secret": "known-secret-value"})
    assert token.status_code == 200
    api = connect(sim, token.json()["access_token"])
    api.env_id = env
    assert [a["id"] for a in (await api.list()).json()["_embedded"]["applications"]] == ["known-client"]
    duplicate = await http.post(f"/_simulator/environments/{env}/workers", json={"clientId": "known-client"})
    assert duplicate.status_code == 400


async def test_admin_drift_mutations(http, api, sim, web_app_body):
    app = await api.create_ok(web_app_body(description="desired"))
    base = f"/_simulator/environments/{sim.environment_id}/applications/{app['id']}"
    patched = await http.patch(base, json={"description": "drifted", "pkceEnforcement": None})
    assert patched.status_code == 200
    seen = (await api.get(app["id"])).json()
    assert seen["description"] == "drifted" and "pkceEnforcement" not in seen
    assert seen["updatedAt"] > app["updatedAt"]
    replaced = await http.put(base, json=web_app_body(name="renamed"))
    assert replaced.status_code == 200 and replaced.json()["name"] == "renamed"
    assert (await http.put(base, json=web_app_body(parTimeout=0))).status_code == 400
    assert (await http.get(base)).json()["name"] == "renamed"
    assert (await http.get(base + "/secret")).json()["secret"]
    assert (await http.delete(base)).status_code == 204
    assert (await api.get(app["id"])).status_code == 404
    assert (await http.get(base)).status_code == 404


async def test_admin_not_in_request_log_and_not_faulted(http, sim):
    sim.state.set_faults(error_rate=1.0)
    assert (await http.get("/_simulator/health")).status_code == 200
    assert (await http.get("/_simulator/faults")).json()["error_rate"] == 1.0
    assert sim.state.requests() == []


async def test_admin_clock_and_settings(http, sim):
    before = (await http.get("/_simulator/clock")).json()
    after = (await http.post("/_simulator/clock/advance", json={"seconds": 3600})).json()
    assert after["offsetSeconds"] == before["offsetSeconds"] + 3600
    assert (await http.post("/_simulator/clock/advance", json={"seconds": -1})).status_code == 400
    settings = (await http.put("/_simulator/settings", json={"tokenLifetime": 120, "strict": True})).json()
    assert settings == {"rateLimit": None, "tokenLifetime": 120, "strict": True, "filterMode": "honour",
                        "pageSize": 100}
    creds = sim.state.worker
    token = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                            auth=(creds.client_id, creds.client_secret))
    assert token.json()["expires_in"] == 120


async def test_unknown_pingone_path_is_p1_404(http, api):
    response = await http.get("/v1/environments/x/populations", headers=api.headers)
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    response = await http.patch(api.path(), headers=api.headers)
    assert response.status_code == 405
