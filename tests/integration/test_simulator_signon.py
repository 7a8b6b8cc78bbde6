"""Sign-on policies (Single_Factor by default) and their assignments to applications."""

from __future__ import annotations

import pytest

from tests.integration.sim_api import assert_p1_error


async def policies(rest) -> dict[str, dict]:
    return {p["name"]: p for p in await rest.items("/signOnPolicies", "signOnPolicies")}


@pytest.fixture
async def web(rest, web_app_body):
    return await rest.ok("post", "/applications", web_app_body())


async def test_seeded_policies(rest, sim):
    seeded = await policies(rest)
    assert set(seeded) == {"Single_Factor", "Multi_Factor"}
    assert seeded["Single_Factor"]["default"] is True and seeded["Multi_Factor"]["default"] is False
    for policy in seeded.values():
        assert policy["environment"] == {"id": sim.environment_id}
        assert await rest.ok("get", f"/signOnPolicies/{policy['id']}") == policy
    assert {p["name"] for p in sim.state.sign_on_policies(sim.environment_id)} == set(seeded)
    other = sim.state.seed_environment()
    assert {p["id"] for p in sim.state.sign_on_policies(other)}.isdisjoint(p["id"] for p in seeded.values())


async def test_create_update_delete_policy(rest, sim):
    response = await rest.post("/signOnPolicies", {"name": "Passwordless", "description": "d"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == created["_links"]["self"]["href"]
    assert created["default"] is False and created["createdAt"] == created["updatedAt"]
    sim.state.advance_clock(1)
    replaced = await rest.ok("put", f"/signOnPolicies/{created['id']}", {"name": "Passwordless_2"})
    assert "description" not in replaced and replaced["updatedAt"] > created["updatedAt"]
    await rest.ok("delete", f"/signOnPolicies/{created['id']}")
    assert_p1_error(await rest.get(f"/signOnPolicies/{created['id']}"), 404, "NOT_FOUND")


@pytest.mark.parametrize("name", ["simple", "with space", "a.b-c_d", "urn:example:policy", "https://example.com/p"])
async def test_accepted_names(rest, name):
    await rest.ok("post", "/signOnPolicies", {"name": name})


@pytest.mark.parametrize("body,target", [
    ({}, "name"),
    ({"name": "a/b"}, "name"),
    ({"name": "ünïcode"}, "name"),
    ({"name": "Single_Factor"}, "name"),
    ({"name": "ok", "default": "yes"}, "default"),
])
async def test_policy_refusals(rest, body, target):
    assert_p1_error(await rest.post("/signOnPolicies", body), 400, "INVALID_DATA", target)


async def test_default_moves_and_can_only_be_set(rest):
    created = await rest.ok("post", "/signOnPolicies", {"name": "New_Default", "default": True})
    assert created["default"] is True
    seeded = await policies(rest)
    assert [n for n, p in seeded.items() if p["default"]] == ["New_Default"]
    # `default: false` does not unset it: it "can only be set to true" (OpenAPI).
    kept = await rest.ok("put", f"/signOnPolicies/{created['id']}", {"name": "New_Default", "default": False})
    assert kept["default"] is True
    assert_p1_error(await rest.delete(f"/signOnPolicies/{created['id']}"), 400, "INVALID_REQUEST")
    await rest.ok("put", f"/signOnPolicies/{seeded['Single_Factor']['id']}", {"name": "Single_Factor",
                                                                              "default": True})
    await rest.ok("delete", f"/signOnPolicies/{created['id']}")


async def test_assignments(rest, web, sim):
    seeded = await policies(rest)
    path = f"/applications/{web['id']}/signOnPolicyAssignments"
    assert await rest.items(path, "signOnPolicyAssignments") == []
    response = await rest.post(path, {"signOnPolicy": {"id": seeded["Multi_Factor"]["id"]}, "priority": 2})
    assert response.status_code == 201, response.text
    second = response.json()
    assert response.headers["Location"] == second["_links"]["self"]["href"]
    assert second["application"] == {"id": web["id"]} and second["environment"] == {"id": sim.environment_id}
    assert second["signOnPolicy"] == {"id": seeded["Multi_Factor"]["id"]} and second["priority"] == 2
    first = await rest.ok("post", path, {"signOnPolicy": {"id": seeded["Single_Factor"]["id"]}, "priority": 1})
    assert [a["id"] for a in await rest.items(path, "signOnPolicyAssignments")] == [first["id"], second["id"]]
    assert [a["id"] for a in sim.state.sign_on_policy_assignments(sim.environment_id, web["id"])] == \
        [first["id"], second["id"]]
    moved = await rest.ok("put", f"{path}/{first['id']}", {"signOnPolicy": {"id": seeded["Single_Factor"]["id"]},
                                                            "priority": 3})
    assert moved["priority"] == 3
    assert [a["id"] for a in await rest.items(path, "signOnPolicyAssignments")] == [second["id"], first["id"]]
    await rest.ok("delete", f"{path}/{first['id']}")
    assert_p1_error(await rest.get(f"{path}/{first['id']}"), 404, "NOT_FOUND")


async def test_equal_priorities_are_accepted(rest, web):
    path = f"/applications/{web['id']}/signOnPolicyAssignments"
    seeded = await policies(rest)
    for name in ("Single_Factor", "Multi_Factor"):
        await rest.ok("post", path, {"signOnPolicy": {"id": seeded[name]["id"]}, "priority": 1})


async def test_assignment_refusals(rest, web):
    path = f"/applications/{web['id']}/signOnPolicyAssignments"
    policy = (await policies(rest))["Single_Factor"]["id"]
    cases = [
        ({"priority": 1}, "signOnPolicy.id"),
        ({"signOnPolicy": {"id": "missing"}, "priority": 1}, "signOnPolicy.id"),
        ({"signOnPolicy": {"id": policy}}, "priority"),
        ({"signOnPolicy": {"id": policy}, "priority": 0}, "priority"),
        ({"signOnPolicy": {"id": policy}, "priority": "1"}, "priority"),
        ({"signOnPolicy": {"id": policy}, "priority": True}, "priority"),
        ({"signOnPolicy": {"id": policy}, "priority": 1.5}, "priority"),
    ]
    for body, target in cases:
        assert_p1_error(await rest.post(path, body), 400, "INVALID_DATA", target)
    await rest.ok("post", path, {"signOnPolicy": {"id": policy}, "priority": 1})
    assert_p1_error(await rest.post(path, {"signOnPolicy": {"id": policy}, "priority": 2}), 400, "INVALID_DATA",
                    "signOnPolicy.id")
    assert_p1_error(await rest.post("/applications/missing/signOnPolicyAssignments",
                                    {"signOnPolicy": {"id": policy}, "priority": 1}), 404, "NOT_FOUND")


async def test_deleting_a_policy_or_the_app_removes_assignments(rest, web, sim):
    policy = await rest.ok("post", "/signOnPolicies", {"name": "Temporary"})
    path = f"/applications/{web['id']}/signOnPolicyAssignments"
    await rest.ok("post", path, {"signOnPolicy": {"id": policy["id"]}, "priority": 1})
    await rest.ok("delete", f"/signOnPolicies/{policy['id']}")
    assert await rest.items(path, "signOnPolicyAssignments") == []
    single = (await policies(rest))["Single_Factor"]["id"]
    await rest.ok("post", path, {"signOnPolicy": {"id": single}, "priority": 1})
    await rest.ok("delete", f"/applications/{web['id']}")
    assert sim.state.sign_on_policy_assignments(sim.environment_id, web["id"]) == []
