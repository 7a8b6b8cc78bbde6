"""Role assignments: seeded workers hold admin roles, and a WORKER created through the API
inherits its creator's unless the body says `assignActorRoles: false`."""

from __future__ import annotations

import uuid

import pytest

from pingone_simulator.roles import ROLES

ASSIGNMENT_KEYS = {"id", "role", "scope", "environment", "readOnly"}


def role_ids(assignments: list[dict]) -> list[str]:
    return sorted(a["role"]["id"] for a in assignments)


def grants(assignments: list[dict]) -> list[tuple[str, str, str]]:
    """What an assignment gives, without its identity: (role, scope type, scope id)."""
    return sorted((a["role"]["id"], a["scope"]["type"], a["scope"]["id"]) for a in assignments)


async def roles_via_api(api, app_id: str):
    return await api.http.get(api.path(app_id, "/roleAssignments"), headers=api.headers)


async def test_seeded_worker_holds_admin_roles_on_its_environment(sim):
    env, worker = sim.environment_id, sim.state.worker.client_id
    assignments = sim.state.role_assignments(env, worker)
    assert role_ids(assignments) == sorted([ROLES["Environment Admin"], ROLES["Identity Data Admin"]])
    for item in assignments:
        assert set(item) == ASSIGNMENT_KEYS
        uuid.UUID(item["id"])
        assert item["scope"] == {"id": env, "type": "ENVIRONMENT"}
        assert item["environment"] == {"id": env}
        assert item["readOnly"] is False
    assert len({a["id"] for a in assignments}) == 2


async def test_api_route_lists_the_assignments(api, sim):
    worker = sim.state.worker.client_id
    response = await roles_via_api(api, worker)
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["_embedded"]["roleAssignments"]
    assert body["count"] == body["size"] == len(items) == 2
    own = f"{sim.api_url}/environments/{sim.environment_id}/applications/{worker}"
    assert body["_links"]["self"]["href"] == own + "/roleAssignments"
    for item in items:
        assert item["_links"]["self"]["href"].endswith(f"/roleAssignments/{item['id']}")
    assert [{k: v for k, v in i.items() if k != "_links"} for i in items] == \
        sim.state.role_assignments(sim.environment_id, worker)


async def test_api_route_is_authorized_like_the_others(api, http, sim, web_app_body):
    worker = sim.state.worker.client_id
    assert (await http.get(api.path(worker, "/roleAssignments"))).status_code == 401
    assert (await roles_via_api(api, "missing")).status_code == 404
    api.env_id = sim.state.seed_worker(str(uuid.uuid4())).environment_id
    assert (await roles_via_api(api, worker)).status_code == 403
    api.env_id = sim.environment_id
    web = await api.create_ok(web_app_body())
    assert (await roles_via_api(api, web["id"])).json()["_embedded"]["roleAssignments"] == []


@pytest.mark.parametrize("assign,inherits", [("omitted", True), (None, True), (True, True), (False, False)])
async def test_new_worker_inherits_the_creators_roles(api, sim, worker_body, assign, inherits):
    body = worker_body()
    if assign != "omitted":
        body["assignActorRoles"] = assign
    created = await api.create_ok(body)
    got = sim.state.role_assignments(sim.environment_id, created["id"])
    mine = sim.state.role_assignments(sim.environment_id, sim.state.worker.client_id)
    if not inherits:
        assert got == []
        return
    assert grants(got) == grants(mine)
    assert not {a["id"] for a in got} & {a["id"] for a in mine}  # copies, not the same assignments
    assert all(a["environment"] == {"id": sim.environment_id} and a["readOnly"] is False for a in got)
    listed = (await roles_via_api(api, created["id"])).json()["_embedded"]["roleAssignments"]
    assert sorted(a["id"] for a in listed) == sorted(a["id"] for a in got)


async def test_only_workers_inherit(api, sim, web_app_body, worker_body):
    for kind in ("WEB_APP", "SERVICE", "NATIVE_APP"):
        body = web_app_body(name=kind, type=kind, assignActorRoles=True)
        if kind == "SERVICE":
            body.update(grantTypes=["CLIENT_CREDENTIALS"], responseTypes=[], redirectUris=[])
        created = await api.create_ok(body)
        assert sim.state.role_assignments(sim.environment_id, created["id"]) == [], kind


async def test_inheritance_follows_the_calling_worker(http, sim, connect, worker_body):
    seeded = await http.post(f"/_simulator/environments/{sim.environment_id}/workers",
                             json={"name": "reader", "roles": ["Identity Data Read Only"]})
    assert seeded.status_code == 201, seeded.text
    reader = seeded.json()["clientId"]
    as_reader = connect(sim, sim.state.issue_token(sim.environment_id, reader))
    created = await as_reader.create_ok(worker_body())
    got = sim.state.role_assignments(sim.environment_id, created["id"])
    assert role_ids(got) == [ROLES["Identity Data Read Only"]]
    # A worker created by a worker without roles has none.
    bare = (await http.post(f"/_simulator/environments/{sim.environment_id}/workers",
                            json={"name": "bare", "roles": []})).json()["clientId"]
    as_bare = connect(sim, sim.state.issue_token(sim.environment_id, bare))
    child = await as_bare.create_ok(worker_body(name="child"))
    assert sim.state.role_assignments(sim.environment_id, child["id"]) == []


async def test_workers_seeded_in_another_environment_are_scoped_to_it(http, sim):
    env = (await http.post("/_simulator/environments", json={})).json()["id"]
    worker = (await http.post(f"/_simulator/environments/{env}/workers", json={})).json()["clientId"]
    response = await http.get(f"/_simulator/environments/{env}/applications/{worker}/roleAssignments")
    assert response.status_code == 200
    assignments = response.json()["roleAssignments"]
    assert role_ids(assignments) == sorted([ROLES["Environment Admin"], ROLES["Identity Data Admin"]])
    assert all(a["scope"] == {"id": env, "type": "ENVIRONMENT"} and a["environment"] == {"id": env}
               for a in assignments)
    assert assignments == sim.state.role_assignments(env, worker)
    python_seeded = sim.state.seed_worker(env, name="py", role_names=["Configuration Read Only"])
    assert role_ids(sim.state.role_assignments(env, python_seeded.client_id)) == [ROLES["Configuration Read Only"]]


async def test_admin_route_and_catalogue_errors(http, sim):
    base = f"/_simulator/environments/{sim.environment_id}/applications"
    assert (await http.get(f"{base}/missing/roleAssignments")).status_code == 404
    bad = await http.post(f"/_simulator/environments/{sim.environment_id}/workers",
                          json={"name": "x", "roles": ["Galactic Admin"]})
    assert bad.status_code == 400
    assert "x" not in {a["name"] for a in sim.state.list_applications(sim.environment_id)}  # nothing created
    catalogue = (await http.get("/_simulator/roles")).json()["roles"]
    assert {"id": ROLES["Environment Admin"], "name": "Environment Admin"} in catalogue
    assert len({r["id"] for r in catalogue}) == len(catalogue)


async def test_updates_keep_and_deletes_drop_the_assignments(api, sim, worker_body):
    created = await api.create_ok(worker_body())
    before = sim.state.role_assignments(sim.environment_id, created["id"])
    assert before
    assert (await api.put(created["id"], worker_body(assignActorRoles=False))).status_code == 200  # ignored on PUT
    sim.state.replace_application(sim.environment_id, created["id"], worker_body(description="drift"))
    assert sim.state.role_assignments(sim.environment_id, created["id"]) == before
    assert (await api.delete(created["id"])).status_code == 204
    assert sim.state.role_assignments(sim.environment_id, created["id"]) == []
    assert (await roles_via_api(api, created["id"])).status_code == 404


async def test_returned_assignments_are_copies(sim):
    env, worker = sim.environment_id, sim.state.worker.client_id
    sim.state.role_assignments(env, worker)[0]["role"]["id"] = "tampered"
    assert "tampered" not in role_ids(sim.state.role_assignments(env, worker))
