"""Resource scopes: custom ones, and what may change on the built-in openid and PingOne API scopes."""

from __future__ import annotations

import pytest

from tests.integration.sim_api import assert_p1_error


@pytest.fixture
async def custom(rest):
    return await rest.ok("post", "/resources", {"name": "https://api.example.com"})


async def test_create_read_list_scope(rest, custom, sim):
    path = f"/resources/{custom['id']}/scopes"
    response = await rest.post(path, {"name": "read:orders", "description": "Read orders"})
    assert response.status_code == 201, response.text
    scope = response.json()
    assert response.headers["Location"] == scope["_links"]["self"]["href"]
    assert scope["resource"] == {"id": custom["id"]} and scope["environment"] == {"id": sim.environment_id}
    assert scope["name"] == "read:orders" and scope["description"] == "Read orders"
    assert scope["createdAt"] == scope["updatedAt"]
    assert await rest.ok("get", f"{path}/{scope['id']}") == scope
    listed = await rest.ok("get", path)
    assert listed["count"] == listed["size"] == 1 and listed["_embedded"]["scopes"] == [scope]


async def test_names_are_unique_per_resource(rest, custom):
    await rest.ok("post", f"/resources/{custom['id']}/scopes", {"name": "read"})
    assert_p1_error(await rest.post(f"/resources/{custom['id']}/scopes", {"name": "read"}), 400, "INVALID_DATA",
                    "name")
    other = await rest.ok("post", "/resources", {"name": "other"})
    await rest.ok("post", f"/resources/{other['id']}/scopes", {"name": "read"})


@pytest.mark.parametrize("body,target", [
    ({}, "name"),
    ({"name": "two words"}, "name"),
    ({"name": 'quo"te'}, "name"),
    ({"name": "back\\slash"}, "name"),
    ({"name": "ok", "description": 5}, "description"),
    ({"name": "ok", "schemaAttributes": ["email"]}, "schemaAttributes"),
    ({"name": "ok", "mappedClaims": "claim"}, "mappedClaims"),
])
async def test_create_refusals(rest, custom, body, target):
    assert_p1_error(await rest.post(f"/resources/{custom['id']}/scopes", body), 400, "INVALID_DATA", target)


async def test_put_is_a_full_replacement_and_delete(rest, custom, sim):
    path = f"/resources/{custom['id']}/scopes"
    scope = await rest.ok("post", path, {"name": "read", "description": "d", "mappedClaims": ["c1"]})
    await rest.ok("post", path, {"name": "taken"})
    sim.state.advance_clock(1)
    replaced = await rest.ok("put", f"{path}/{scope['id']}", {"name": "read2"})
    assert replaced["name"] == "read2" and "description" not in replaced and "mappedClaims" not in replaced
    assert replaced["updatedAt"] > scope["updatedAt"] and replaced["createdAt"] == scope["createdAt"]
    assert_p1_error(await rest.put(f"{path}/{scope['id']}", {"name": "taken"}), 400, "INVALID_DATA", "name")
    await rest.ok("delete", f"{path}/{scope['id']}")
    assert_p1_error(await rest.get(f"{path}/{scope['id']}"), 404, "NOT_FOUND")
    assert_p1_error(await rest.get("/resources/missing/scopes"), 404, "NOT_FOUND")


async def test_openid_scopes(rest):
    openid = await rest.resource("openid")
    path = f"/resources/{openid['id']}/scopes"
    ids = await rest.scope_ids(openid["id"])
    for name in ("openid", "profile", "offline_access"):
        assert_p1_error(await rest.delete(f"{path}/{ids[name]}"), 400, "INVALID_REQUEST")
    assert_p1_error(await rest.put(f"{path}/{ids['openid']}", {"name": "openid", "description": "x"}), 400,
                    "INVALID_REQUEST")
    assert_p1_error(await rest.put(f"{path}/{ids['profile']}", {"name": "profile2"}), 400, "INVALID_DATA", "name")
    # Terraform's pingone_resource_scope_openid overrides the claims of a predefined scope ...
    profile = await rest.ok("put", f"{path}/{ids['profile']}", {"name": "profile", "mappedClaims": ["attr-1"]})
    assert profile["mappedClaims"] == ["attr-1"] and profile["id"] == ids["profile"]
    # ... and adds new OIDC scopes, which can then be deleted.
    added = await rest.ok("post", path, {"name": "newscope", "mappedClaims": ["attr-1"]})
    assert_p1_error(await rest.post(path, {"name": "email"}), 400, "INVALID_DATA", "name")
    await rest.ok("delete", f"{path}/{added['id']}")


async def test_pingone_api_scopes(rest):
    api = await rest.resource("PingOne API")
    path = f"/resources/{api['id']}/scopes"
    ids = await rest.scope_ids(api["id"])
    # Only access control scopes can be added, and they need schemaAttributes (Ping docs).
    created = await rest.ok("post", path, {"name": "p1:update:user:email-only", "schemaAttributes": ["email"]})
    assert created["schemaAttributes"] == ["email"]
    assert_p1_error(await rest.post(path, {"name": "orders:read"}), 400, "INVALID_DATA", "name")
    assert_p1_error(await rest.post(path, {"name": "p1:read:device:mine", "schemaAttributes": ["x"]}), 400,
                    "INVALID_DATA", "name")
    assert_p1_error(await rest.post(path, {"name": "p1:read:user:no-attrs"}), 400, "INVALID_DATA", "schemaAttributes")
    assert_p1_error(await rest.post(path, {"name": "p1:read:user:mixed", "schemaAttributes": ["*", "email"]}), 400,
                    "INVALID_DATA", "schemaAttributes")
    assert_p1_error(await rest.post(path, {"name": "p1:read:user:c", "schemaAttributes": ["a"],
                                           "mappedClaims": ["x"]}), 400, "INVALID_DATA", "mappedClaims")
    await rest.ok("post", path, {"name": "p1:read:user:all", "schemaAttributes": ["*"]})
    # Predefined ones: only the user scopes' schemaAttributes change; none can be deleted.
    updated = await rest.ok("put", f"{path}/{ids['p1:read:user']}", {"name": "p1:read:user",
                                                                      "schemaAttributes": ["name.given"]})
    assert updated["schemaAttributes"] == ["name.given"]
    assert_p1_error(await rest.put(f"{path}/{ids['p1:read:device']}", {"name": "p1:read:device"}), 400,
                    "INVALID_REQUEST")
    assert_p1_error(await rest.delete(f"{path}/{ids['p1:read:user']}"), 400, "INVALID_REQUEST")
    assert_p1_error(await rest.put(f"{path}/{created['id']}", {"name": "p1:update:user:other",
                                                               "schemaAttributes": ["email"]}),
                    400, "INVALID_DATA", "name")
    await rest.ok("delete", f"{path}/{created['id']}")
