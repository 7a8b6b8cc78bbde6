"""The token endpoint honours grants: requested scopes must be granted; `scope` and `aud` reflect the grant."""

from __future__ import annotations

import jwt
import pytest

from tests.integration.sim_api import Rest, assert_p1_error

SERVICE = {"enabled": True, "type": "SERVICE", "protocol": "OPENID_CONNECT", "grantTypes": ["CLIENT_CREDENTIALS"],
           "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"}


@pytest.fixture
async def client(rest, sim):
    """A client_credentials SERVICE app, and how to ask for its token."""
    app = await rest.ok("post", "/applications", {**SERVICE, "name": "svc"})
    secret = sim.state.application_secret(sim.environment_id, app["id"])

    async def token(scope: str | None = None, **extra):
        data = {"grant_type": "client_credentials", **extra}
        if scope is not None:
            data["scope"] = scope
        return await rest.http.post(f"/{sim.environment_id}/as/token", data=data, auth=(app["id"], secret))

    token.app = app
    return token


def claims(response) -> dict:
    assert response.status_code == 200, response.text
    return jwt.decode(response.json()["access_token"], options={"verify_signature": False})


def assert_invalid_scope(response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_scope"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def orders(sim):
    return sim.state.seed_resource(sim.environment_id, "orders", ["read", "write", "delete"],
                                   audience="https://orders.example.com", access_token_validity_seconds=600)


async def test_a_granted_scope_gives_a_token_for_the_resource(client, orders, sim):
    sim.state.seed_grant(sim.environment_id, client.app["id"], "orders", ["read", "write"])
    response = await client("read")
    body = response.json()
    assert body["scope"] == "read" and body["token_type"] == "Bearer" and body["expires_in"] == 600
    token = claims(response)
    assert token["aud"] == ["https://orders.example.com"] and token["scope"] == "read"
    assert token["client_id"] == client.app["id"] and token["exp"] - token["iat"] == 600
    assert claims(await client("write read"))["scope"] == "write read"
    assert (await client("read read")).json()["scope"] == "read"


@pytest.mark.parametrize("requested", ["delete", "unknown", "read delete", "openid", "p1:read:user"])
async def test_a_scope_not_granted_is_invalid_scope(client, orders, sim, requested):
    sim.state.seed_grant(sim.environment_id, client.app["id"], "orders", ["read", "write"])
    assert_invalid_scope(await client(requested))


async def test_without_scope_every_granted_scope_of_the_one_custom_resource(client, orders, sim):
    sim.state.seed_grant(sim.environment_id, client.app["id"], "orders", ["write", "read"])
    response = await client()
    assert response.json()["scope"] == "write read"
    assert claims(response)["aud"] == ["https://orders.example.com"]
    assert claims(await client(""))["scope"] == "write read"  # an empty scope is no scope


async def test_the_audience_defaults_to_the_resource_name(client, sim):
    sim.state.seed_resource(sim.environment_id, "billing", ["pay"])
    sim.state.seed_grant(sim.environment_id, client.app["id"], "billing", ["pay"])
    response = await client("pay")
    assert claims(response)["aud"] == ["billing"] and response.json()["expires_in"] == 3600


async def test_revoking_the_grant_revokes_the_scope(client, orders, sim, rest):
    grant = sim.state.seed_grant(sim.environment_id, client.app["id"], "orders", ["read"])
    assert (await client("read")).status_code == 200
    await rest.ok("put", f"/applications/{client.app['id']}/grants/{grant['id']}",
                  {"resource": {"id": orders["id"]}, "scopes": [{"id": s["id"]} for s in orders["scopes"]
                                                                if s["name"] == "write"]})
    assert_invalid_scope(await client("read"))
    await rest.ok("delete", f"/applications/{client.app['id']}/grants/{grant['id']}")
    assert_invalid_scope(await client("write"))


async def test_several_custom_resources(client, orders, sim, rest):
    sim.state.seed_resource(sim.environment_id, "billing", ["pay", "read"])
    sim.state.seed_grant(sim.environment_id, client.app["id"], "orders", ["read", "write"])
    sim.state.seed_grant(sim.environment_id, client.app["id"], "billing", ["pay", "read"])
    assert_invalid_scope(await client())  # which resource? the request must say
    assert_invalid_scope(await client("write pay"))  # May not request scopes for multiple resources
    assert claims(await client("pay"))["aud"] == ["billing"]
    assert claims(await client("read write"))["aud"] == ["https://orders.example.com"]
    assert claims(await client("read pay"))["aud"] == ["billing"]  # the resource granting both
    body = {**SERVICE, "name": "svc", "requestScopesForMultipleResourcesEnabled": True}
    await rest.ok("put", f"/applications/{client.app['id']}", body)
    response = await client("write pay")
    assert claims(response)["aud"] == ["https://orders.example.com", "billing"]
    assert response.json()["expires_in"] == 600  # the shorter lifetime


async def test_oidc_and_pingone_api_scopes_are_not_for_client_credentials(client, sim):
    sim.state.seed_grant(sim.environment_id, client.app["id"], "openid", ["profile"])
    sim.state.seed_grant(sim.environment_id, client.app["id"], "PingOne API", ["p1:read:user"])
    assert_invalid_scope(await client("profile"))
    assert_invalid_scope(await client("p1:read:user"))
    token = claims(await client())  # no custom resource: a PingOne API token without scopes
    assert "scope" not in (await client()).json() and "scope" not in token


async def test_worker_tokens_without_grants_are_unchanged(http, sim):
    creds = sim.state.worker
    url = f"/{creds.environment_id}/as/token"
    response = await http.post(url, data={"grant_type": "client_credentials"}, auth=(creds.client_id,
                                                                                     creds.client_secret))
    assert "scope" not in response.json() and response.json()["expires_in"] == 3600
    assert claims(response)["aud"] == [sim.base_url]
    assert_invalid_scope(await http.post(url, data={"grant_type": "client_credentials", "scope": "anything"},
                                         auth=(creds.client_id, creds.client_secret)))


async def test_a_resource_token_does_not_call_the_management_api(client, orders, sim, http):
    sim.state.seed_grant(sim.environment_id, client.app["id"], "orders", ["read"])
    token = (await client("read")).json()["access_token"]
    assert_p1_error(await Rest(http, sim.environment_id, token).get("/resources"), 401, "ACCESS_FAILED")
