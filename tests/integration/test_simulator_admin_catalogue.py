"""Admin routes and SimulatorState methods for resources, grants, attribute mappings, sign-on
policies and assignments, and what deleting an application takes with it."""

from __future__ import annotations

import pytest

from pingone_simulator.refusals import Refused
from pingone_simulator.roles import ROLES

ADMIN = "/_simulator/environments"


async def test_seed_and_read_resources(http, sim):
    env = sim.environment_id
    response = await http.post(f"{ADMIN}/{env}/resources", json={"name": "orders", "scopes": ["read", "write"],
                                                                 "audience": "https://orders.example.com"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["type"] == "CUSTOM" and created["audience"] == "https://orders.example.com"
    assert [s["name"] for s in created["scopes"]] == ["read", "write"]
    listed = (await http.get(f"{ADMIN}/{env}/resources")).json()["resources"]
    assert [r["name"] for r in listed] == ["openid", "PingOne API", "orders"]
    assert listed[2] == created == sim.state.find_resource(env, "orders")
    assert "_links" not in created
    bad = await http.post(f"{ADMIN}/{env}/resources", json={"name": "orders"})
    assert bad.status_code == 400 and bad.json()["details"][0]["target"] == "name"
    assert (await http.post(f"{ADMIN}/{env}/resources", json={})).status_code == 400
    assert (await http.get(f"{ADMIN}/missing/resources")).status_code == 404
    assert (await http.post(f"{ADMIN}/missing/resources", json={"name": "x"})).status_code == 404


async def test_seed_resource_in_python(sim):
    created = sim.state.seed_resource(sim.environment_id, "billing", ["pay"], access_token_validity_seconds=900,
                                      description="d")
    assert created["accessTokenValiditySeconds"] == 900 and created["description"] == "d"
    assert created["audience"] == "billing"
    with pytest.raises(Refused):
        sim.state.seed_resource(sim.environment_id, "billing")
    with pytest.raises(Refused):
        sim.state.seed_resource(sim.environment_id, "bad", access_token_validity_seconds=10)
    created["scopes"].clear()  # copies
    assert sim.state.find_resource(sim.environment_id, "billing")["scopes"]


async def test_application_lists_without_a_token(http, rest, sim, web_app_body):
    env = sim.environment_id
    web = await rest.ok("post", "/applications", web_app_body())
    base = f"{ADMIN}/{env}/applications/{web['id']}"
    grant = await http.post(f"{base}/grants", json={"resource": "openid", "scopes": ["profile", "email"]})
    assert grant.status_code == 201, grant.text
    assert (await http.get(f"{base}/grants")).json() == {"grants": [grant.json()]}
    assert (await http.get(f"{base}/grants")).json()["grants"] == sim.state.grants(env, web["id"])
    attributes = (await http.get(f"{base}/attributes")).json()["attributes"]
    assert [a["name"] for a in attributes] == ["sub"] and attributes == sim.state.attribute_mappings(env, web["id"])
    policy = sim.state.sign_on_policies(env)[0]
    await rest.ok("post", f"/applications/{web['id']}/signOnPolicyAssignments",
                  {"signOnPolicy": {"id": policy["id"]}, "priority": 1})
    assignments = (await http.get(f"{base}/signOnPolicyAssignments")).json()["signOnPolicyAssignments"]
    assert assignments == sim.state.sign_on_policy_assignments(env, web["id"]) and len(assignments) == 1
    policies = (await http.get(f"{ADMIN}/{env}/signOnPolicies")).json()["signOnPolicies"]
    assert policies == sim.state.sign_on_policies(env)
    for kind in ("grants", "attributes", "signOnPolicyAssignments", "roleAssignments"):
        assert (await http.get(f"{ADMIN}/{env}/applications/missing/{kind}")).status_code == 404
    assert (await http.get(f"{ADMIN}/missing/signOnPolicies")).status_code == 404
    assert (await http.post(f"{base}/grants", json={"resource": "nope", "scopes": ["x"]})).status_code == 404
    refused = await http.post(f"{base}/grants", json={"resource": "openid", "scopes": ["profile"]})
    assert refused.status_code == 400 and refused.json()["details"][0]["target"] == "resource.id"  # one per resource


async def test_state_lists_are_copies_and_empty_for_unknown_apps(sim):
    env, worker = sim.environment_id, sim.state.worker.client_id
    for method in ("grants", "attribute_mappings", "sign_on_policy_assignments", "role_assignments"):
        assert getattr(sim.state, method)(env, "missing") == []
    sim.state.attribute_mappings(env, worker)[0]["value"] = "tampered"
    assert sim.state.attribute_mappings(env, worker)[0]["value"] == "${user.id}"
    with pytest.raises(KeyError):
        sim.state.seed_grant(env, "missing", "openid", ["profile"])
    assert sim.state.resources("missing") == [] and sim.state.sign_on_policies("missing") == []


@pytest.mark.parametrize("how", ["api", "admin", "python"])
async def test_deleting_an_application_deletes_what_it_holds(rest, http, sim, worker_body, how):
    env = sim.environment_id
    svc = await rest.ok("post", "/applications", worker_body(name="svc", assignActorRoles=False,
                                                             grantTypes=["CLIENT_CREDENTIALS"]))
    sim.state.seed_resource(env, "orders", ["read"])
    sim.state.seed_grant(env, svc["id"], "orders", ["read"])
    await rest.ok("post", f"/applications/{svc['id']}/attributes", {"name": "email", "value": "${user.email}",
                                                                      "required": False})
    policy = sim.state.sign_on_policies(env)[0]["id"]
    await rest.ok("post", f"/applications/{svc['id']}/signOnPolicyAssignments",
                  {"signOnPolicy": {"id": policy}, "priority": 1})
    await rest.ok("post", f"/applications/{svc['id']}/roleAssignments",
                  {"role": {"id": ROLES["Identity Data Admin"]}, "scope": {"id": env, "type": "ENVIRONMENT"}})
    lists = ("grants", "attribute_mappings", "sign_on_policy_assignments", "role_assignments")
    assert all(len(getattr(sim.state, m)(env, svc["id"])) >= 1 for m in lists)
    if how == "api":
        await rest.ok("delete", f"/applications/{svc['id']}")
    elif how == "admin":
        assert (await http.delete(f"{ADMIN}/{env}/applications/{svc['id']}")).status_code == 204
    else:
        assert sim.state.delete_application(env, svc["id"])
    assert all(getattr(sim.state, m)(env, svc["id"]) == [] for m in lists)
    recreated = await rest.ok("post", "/applications", worker_body(name="svc", assignActorRoles=False))
    assert [m["name"] for m in sim.state.attribute_mappings(env, recreated["id"])] == ["sub"]
    assert sim.state.grants(env, recreated["id"]) == []


async def test_health_names_the_organization(http, sim):
    health = (await http.get("/_simulator/health")).json()
    assert health["organizationId"] == sim.state.organization_id


async def test_seeded_roles_that_cannot_be_environment_scoped(sim):
    creds = sim.state.seed_worker(sim.environment_id, role_names=["Organization Admin", "Application Owner"])
    scopes = {a["role"]["id"]: a["scope"] for a in sim.state.role_assignments(sim.environment_id, creds.client_id)}
    assert scopes[ROLES["Organization Admin"]] == {"id": sim.state.organization_id, "type": "ORGANIZATION"}
    assert scopes[ROLES["Application Owner"]] == {"id": creds.client_id, "type": "APPLICATION"}
