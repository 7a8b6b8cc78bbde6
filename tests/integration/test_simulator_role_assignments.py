"""The roles catalogue (GET /v1/roles) and assigning roles to applications: an actor assigns only
roles it holds (or their read-only variants) where it holds them, as the Can Assign table allows."""

from __future__ import annotations

import pytest

from pingone_simulator.roles import ROLES
from tests.integration.sim_api import Rest, assert_p1_error


def assignment(role: str, scope_id: str, scope_type: str = "ENVIRONMENT") -> dict:
    return {"role": {"id": ROLES[role]}, "scope": {"id": scope_id, "type": scope_type}}


def as_worker(sim, http, *roles: str) -> Rest:
    """A worker of the seeded environment holding `roles` on it."""
    creds = sim.state.seed_worker(sim.environment_id, role_names=list(roles))
    return Rest(http, sim.environment_id, sim.state.issue_token(sim.environment_id, creds.client_id))


@pytest.fixture
async def target(rest, worker_body):
    return await rest.ok("post", "/applications", worker_body(name="target", assignActorRoles=False))


def path(app: dict, suffix: str = "") -> str:
    return f"/applications/{app['id']}/roleAssignments{suffix}"


async def test_roles_catalogue(http, rest, sim):
    body = (await http.get("/v1/roles", headers=rest.headers)).json()
    roles = {r["name"]: r for r in body["_embedded"]["roles"]}
    assert body["count"] == body["size"] == len(roles)
    assert {"Environment Admin", "Identity Data Admin", "Client Application Developer", "Organization Admin",
            "Identity Data Read Only", "Configuration Read Only", "Application Owner"} <= set(roles)
    assert roles["Environment Admin"]["applicableTo"] == ["ORGANIZATION", "ENVIRONMENT"]
    assert roles["Identity Data Admin"]["applicableTo"] == ["ENVIRONMENT", "POPULATION"]
    for name, role in roles.items():
        assert role["id"] == ROLES[name]
        assert role["_links"]["self"]["href"] == f"{sim.api_url}/roles/{role['id']}"
        one = await http.get(f"/v1/roles/{role['id']}", headers=rest.headers)
        assert one.json() == role
    assert_p1_error(await http.get("/v1/roles/missing", headers=rest.headers), 404, "NOT_FOUND")
    assert_p1_error(await http.get("/v1/roles"), 401)
    web = await rest.ok("post", "/applications", {"name": "w", "enabled": True, "type": "SERVICE",
                                                  "protocol": "OPENID_CONNECT", "grantTypes": ["CLIENT_CREDENTIALS"],
                                                  "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"})
    not_a_worker = sim.state.issue_token(sim.environment_id, web["id"])
    assert_p1_error(await http.get("/v1/roles", headers={"Authorization": f"Bearer {not_a_worker}"}), 403)


async def test_assign_list_and_delete(rest, target, sim):
    response = await rest.post(path(target), assignment("Identity Data Admin", sim.environment_id))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == created["_links"]["self"]["href"]
    assert created["role"] == {"id": ROLES["Identity Data Admin"]}
    assert created["scope"] == {"id": sim.environment_id, "type": "ENVIRONMENT"}
    assert created["environment"] == {"id": sim.environment_id} and created["readOnly"] is False
    assert await rest.ok("get", path(target, f"/{created['id']}")) == created
    assert await rest.items(path(target), "roleAssignments") == [created]
    assert sim.state.role_assignments(sim.environment_id, target["id"]) == \
        [{k: v for k, v in created.items() if k != "_links"}]
    await rest.ok("delete", path(target, f"/{created['id']}"))
    assert await rest.items(path(target), "roleAssignments") == []
    assert_p1_error(await rest.delete(path(target, f"/{created['id']}")), 404, "NOT_FOUND")
    assert (await rest.put(path(target, f"/{created['id']}"), {})).status_code == 405  # no PUT in the OpenAPI


async def test_an_actor_assigns_only_roles_it_holds(rest, target, sim):
    env = sim.environment_id
    # The seeded worker holds Environment Admin and Identity Data Admin on its environment.
    for role in ("Environment Admin", "Identity Data Admin", "Identity Data Read Only", "Configuration Read Only"):
        await rest.ok("post", path(target), assignment(role, env))
    for role in ("Client Application Developer", "Help Desk Admin", "Application Owner"):
        scope_type = "APPLICATION" if role == "Application Owner" else "ENVIRONMENT"
        scope_id = target["id"] if role == "Application Owner" else env
        assert_p1_error(await rest.post(path(target), assignment(role, scope_id, scope_type)), 403, "ACCESS_FAILED")


async def test_the_can_assign_table_and_read_only_variants(http, target, sim):
    env = sim.environment_id
    data_admin = as_worker(sim, http, "Identity Data Admin")
    await data_admin.ok("post", path(target), assignment("Identity Data Read Only", env))  # its read-only variant
    assert_p1_error(await data_admin.post(path(target), assignment("Environment Admin", env)), 403, "ACCESS_FAILED")
    developer = as_worker(sim, http, "Client Application Developer")
    # Holding a role is not enough: Client Application Developer can assign no role (Can Assign: None).
    assert_p1_error(await developer.post(path(target), assignment("Client Application Developer", env)), 403,
                    "ACCESS_FAILED")


async def test_scopes_must_be_covered_and_applicable(rest, target, sim):
    env = sim.environment_id
    # Environment-scoped roles do not reach the organization.
    assert_p1_error(await rest.post(path(target), assignment("Environment Admin", sim.state.organization_id,
                                                             "ORGANIZATION")), 403, "ACCESS_FAILED")
    other_env = sim.state.seed_environment()
    assert_p1_error(await rest.post(path(target), assignment("Identity Data Admin", other_env)), 403,
                    "ACCESS_FAILED")
    # A population of this environment is covered by an environment-scoped role.
    population = await rest.ok("post", path(target), assignment("Identity Data Admin", "population-1", "POPULATION"))
    assert population["scope"] == {"id": "population-1", "type": "POPULATION"}
    cases = [
        (assignment("Identity Data Admin", sim.state.organization_id, "ORGANIZATION"), "scope.type"),
        (assignment("Environment Admin", "population-1", "POPULATION"), "scope.type"),
        (assignment("Environment Admin", env, "GALAXY"), "scope.type"),
        (assignment("Environment Admin", "no-such-environment"), "scope.id"),
        (assignment("Environment Admin", "not-the-org", "ORGANIZATION"), "scope.id"),
        (assignment("Application Owner", "no-such-app", "APPLICATION"), "scope.id"),
        ({"role": {"id": ROLES["Environment Admin"]}}, "scope"),
        ({"role": {"id": ROLES["Environment Admin"]}, "scope": {"type": "ENVIRONMENT"}}, "scope.id"),
        ({"role": {"id": "no-such-role"}, "scope": {"id": env, "type": "ENVIRONMENT"}}, "role.id"),
        ({"scope": {"id": env, "type": "ENVIRONMENT"}}, "role.id"),
        (assignment("DaVinci Admin", env), "role.id"),
    ]
    for body, field in cases:
        assert_p1_error(await rest.post(path(target), body), 400, "INVALID_DATA", field)


async def test_organization_scoped_roles_cover_every_environment(http, target, sim):
    org_admin = sim.state.seed_worker(sim.environment_id, role_names=["Environment Admin"])
    held = sim.state.store.application(sim.environment_id, org_admin.client_id).role_assignments
    held[0]["scope"] = {"id": sim.state.organization_id, "type": "ORGANIZATION"}
    actor = Rest(http, sim.environment_id, sim.state.issue_token(sim.environment_id, org_admin.client_id))
    await actor.ok("post", path(target), assignment("Environment Admin", sim.state.seed_environment()))
    await actor.ok("post", path(target), assignment("Configuration Read Only", sim.environment_id))


async def test_duplicates_are_refused(rest, target, sim):
    await rest.ok("post", path(target), assignment("Identity Data Admin", sim.environment_id))
    for body in (assignment("Identity Data Admin", sim.environment_id),
                 assignment("Identity Data Admin", "population-1", "POPULATION")):  # covered by the environment one
        error = assert_p1_error(await rest.post(path(target), body), 400, "INVALID_DATA", "role")
        assert error["details"][0] == {"code": "UNIQUENESS_VIOLATION", "target": "role",
                                       "message": "May not assign duplicate Role"}


async def test_only_workers_hold_roles(rest, web_app_body, sim):
    web = await rest.ok("post", "/applications", web_app_body())
    assert_p1_error(await rest.post(path(web), assignment("Identity Data Admin", sim.environment_id)), 400,
                    "INVALID_REQUEST")
    assert_p1_error(await rest.post("/applications/missing/roleAssignments",
                                    assignment("Identity Data Admin", sim.environment_id)), 404, "NOT_FOUND")


async def test_read_only_is_what_the_caller_cannot_remove(http, rest, target, sim):
    env = sim.environment_id
    await rest.ok("post", path(target), assignment("Environment Admin", env))
    await rest.ok("post", path(target), assignment("Identity Data Admin", env))
    data_admin = as_worker(sim, http, "Identity Data Admin")
    seen = {a["role"]["id"]: a for a in await data_admin.items(path(target), "roleAssignments")}
    assert seen[ROLES["Environment Admin"]]["readOnly"] is True
    assert seen[ROLES["Identity Data Admin"]]["readOnly"] is False
    assert_p1_error(await data_admin.delete(path(target, f"/{seen[ROLES['Environment Admin']]['id']}")), 403,
                    "ACCESS_FAILED")
    await data_admin.ok("delete", path(target, f"/{seen[ROLES['Identity Data Admin']]['id']}"))
    assert all(not a["readOnly"] for a in await rest.items(path(target), "roleAssignments"))
