"""An application's lists (grants, claims, sign-on policies, roles): create, change, remove, drift
restored, never-declared entries left alone, the exclusive switch; tokens with granted scopes only;
roles only as the connection allows."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from pingone_operator.config import load_pingone_settings
from pingone_operator.pingone.client import PingOneClient

from tests.e2e.conftest import DRIFT
from tests.e2e.helpers import SEED, application, condition, ready, secret_data, wait_for

pytestmark = pytest.mark.e2e

SERVICE = {"name": "Orders-Client", "enabled": True, "type": "WORKER", "protocol": "OPENID_CONNECT",
           "grantTypes": ["CLIENT_CREDENTIALS"], "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"}


def names(entries, key):
    return sorted(key(e) for e in entries)


def grants_of(admin, app_id):
    resources = {r["id"]: r for r in admin.http.get(f"/environments/{admin.env}/resources").json()["resources"]}
    result = {}
    for grant in admin.http.get(f"/environments/{admin.env}/applications/{app_id}/grants").json()["grants"]:
        resource = resources[grant["resource"]["id"]]
        scope_names = {s["id"]: s["name"] for s in resource.get("scopes", [])}
        result[resource["name"]] = sorted(scope_names[s["id"]] for s in grant["scopes"])
    return result


def mappings_of(admin, app_id):
    items = admin.http.get(f"/environments/{admin.env}/applications/{app_id}/attributes").json()["attributes"]
    return {m["name"]: m["value"] for m in items}


def policies_of(admin, app_id):
    policies = {p["id"]: p["name"] for p in admin.http.get(f"/environments/{admin.env}/signOnPolicies").json()["signOnPolicies"]}
    items = admin.http.get(f"/environments/{admin.env}/applications/{app_id}/signOnPolicyAssignments").json()
    return [policies[a["signOnPolicy"]["id"]] for a in sorted(items["signOnPolicyAssignments"], key=lambda a: a["priority"])]


def token(simulator, client_id, secret, scope):
    return httpx.post(f"{simulator.auth_url}/{simulator.environment_id}/as/token",
                      data={"grant_type": "client_credentials", "scope": scope}, auth=(client_id, secret), timeout=10)


def test_grants_claims_and_policies_three_way(simulator, kube, admin, operator):
    spec = {**SEED, "grants": [{"resource": "openid", "scopes": ["openid", "profile"]}],
            "attributeMappings": [{"name": "email", "value": "${user.email}"}],
            "signOnPolicies": ["Multi_Factor", "Single_Factor"]}
    kube.apply(application("listed", spec))
    app_id = wait_for(lambda: ready(kube, "listed"), what="Ready")["status"]["applicationId"]
    assert grants_of(admin, app_id) == {"openid": ["openid", "profile"]}
    assert mappings_of(admin, app_id)["email"] == "${user.email}"
    assert policies_of(admin, app_id) == ["Multi_Factor", "Single_Factor"]

    # Someone adds a claim in the console: never declared, left alone.
    _console_claim(simulator, app_id)
    # A change: one more scope, another claim value, one policy dropped.
    changed = {**spec, "grants": [{"resource": "openid", "scopes": ["openid", "profile", "email"]}],
               "attributeMappings": [{"name": "email", "value": "${user.name.given}"}],
               "signOnPolicies": ["Single_Factor"]}
    kube.apply(application("listed", changed))
    wait_for(lambda: policies_of(admin, app_id) == ["Single_Factor"], what="the dropped policy removed")
    assert grants_of(admin, app_id) == {"openid": ["email", "openid", "profile"]}
    assert mappings_of(admin, app_id)["email"] == "${user.name.given}"
    assert mappings_of(admin, app_id)["team"] == "${user.id}"  # the console's claim is still there

    # Drift: a grant removed behind the operator's back comes back at the next check.
    grant = admin.http.get(f"/environments/{admin.env}/applications/{app_id}/grants").json()["grants"][0]
    admin.http.delete(f"/environments/{admin.env}/applications/{app_id}/grants/{grant['id']}")
    wait_for(lambda: grants_of(admin, app_id) == {"openid": ["email", "openid", "profile"]},
             timeout=4 * float(DRIFT) + 30, what="the grant restored")

    # Exclusive: the console's claim goes too.
    kube.apply(application("listed", {**changed, "exclusive": {"attributeMappings": True}}))
    wait_for(lambda: "team" not in mappings_of(admin, app_id), what="the undeclared claim removed")
    assert "email" in mappings_of(admin, app_id) and "sub" in mappings_of(admin, app_id)  # core stays

    # Removing a whole list removes what it declared.
    kube.apply(application("listed", {k: v for k, v in changed.items() if k != "grants"}))
    wait_for(lambda: grants_of(admin, app_id) == {}, what="the grants removed")


def _console_claim(simulator, app_id):
    """A claim made outside the operator, through PingOne's API."""
    async def add():
        client = PingOneClient.from_settings(load_pingone_settings(simulator.operator_env()))
        try:
            await client.create_child(simulator.environment_id, app_id, "attributes",
                                      {"name": "team", "value": "${user.id}", "required": False})
        finally:
            await client.aclose()

    asyncio.run(add())


def test_an_unknown_name_is_reported_by_name(kube, operator):
    kube.apply(application("unknown", {**SEED, "grants": [{"resource": "No-Such-API", "scopes": ["read"]}]}))
    obj = wait_for(lambda: condition(o := kube.get("p1app", "unknown")).get("reason") == "UnknownReference" and o,
                   what="UnknownReference")
    assert "No-Such-API" in condition(obj)["message"]


def test_the_service_client_gets_tokens_for_its_granted_scopes_only(simulator, kube, admin, operator):
    admin.http.post(f"/environments/{admin.env}/resources",
                    json={"name": "Orders API", "audience": "https://orders.example.com",
                          "scopes": ["orders:read", "orders:write", "orders:admin"]}).raise_for_status()
    kube.apply(application("orders-client", {**SERVICE, "grants": [
        {"resource": "Orders API", "scopes": ["orders:read", "orders:write"]}]}))
    wait_for(lambda: ready(kube, "orders-client"), what="Ready")
    data = secret_data(kube, "orders-client-oidc")
    granted = token(simulator, data["client-id"], data["client-secret"], "orders:read orders:write")
    assert granted.status_code == 200, granted.text
    assert set(granted.json()["scope"].split()) == {"orders:read", "orders:write"}
    refused = token(simulator, data["client-id"], data["client-secret"], "orders:admin")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"


def test_a_role_the_connection_does_not_allow_is_refused_and_nothing_is_assigned(kube, admin, start_operator):
    start_operator()  # the default: no roles allowed
    role = {"role": "Identity Data Read Only", "scope": {"type": "ENVIRONMENT", "id": admin.env}}
    kube.apply(application("reader", {**SERVICE, "name": "Reader", "roleAssignments": [role]}))
    obj = wait_for(lambda: condition(o := kube.get("p1app", "reader")).get("reason") == "RoleNotAllowed" and o,
                   what="RoleNotAllowed")
    assert "Identity Data Read Only" in condition(obj)["message"]
    app_id = obj["status"]["applicationId"]
    time.sleep(1)
    assert admin.role_assignments(app_id) == []


def test_an_allowed_role_held_by_the_worker_is_assigned(kube, admin, start_operator):
    start_operator(DEFAULT_CONNECTION_ALLOWED_ROLES="Identity Data Read Only")
    role = {"role": "Identity Data Read Only", "scope": {"type": "ENVIRONMENT", "id": admin.env}}
    kube.apply(application("reader", {**SERVICE, "name": "Reader", "roleAssignments": [role]}))
    app_id = wait_for(lambda: ready(kube, "reader"), what="Ready")["status"]["applicationId"]
    assigned = admin.role_assignments(app_id)
    assert [(a["scope"]["type"], a["scope"]["id"]) for a in assigned] == [("ENVIRONMENT", admin.env)]
