"""Resources: the built-in `openid` and `PingOne API` resources of every environment, and custom ones."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.sim_api import Rest, assert_p1_error

OPENID_SCOPES = {"openid", "profile", "email", "address", "phone", "offline_access"}


async def test_every_environment_has_the_built_in_resources(rest, sim):
    listed = await rest.items("/resources", "resources")
    by_name = {r["name"]: r for r in listed}
    assert set(by_name) == {"openid", "PingOne API"}
    assert by_name["openid"]["type"] == "OPENID_CONNECT"
    assert by_name["PingOne API"]["type"] == "PINGONE_API"
    assert by_name["PingOne API"]["audience"] == sim.base_url  # the API host, like https://api.pingone.com
    for resource in listed:
        assert resource["environment"] == {"id": sim.environment_id}
        assert resource["accessTokenValiditySeconds"] == 3600
        assert resource["_links"]["self"]["href"] == f"{sim.api_url}/environments/{sim.environment_id}" \
                                                     f"/resources/{resource['id']}"
        assert await rest.ok("get", f"/resources/{resource['id']}") == resource
    assert set(await rest.scope_ids(by_name["openid"]["id"])) == OPENID_SCOPES
    p1 = await rest.scope_ids(by_name["PingOne API"]["id"])
    assert {"p1:read:user", "p1:update:user", "p1:read:device", "p1:reset:userPassword"} <= set(p1)
    assert all(name.startswith("p1:") for name in p1)


async def test_built_in_ids_differ_per_environment_and_match_the_state(sim, rest):
    other = sim.state.seed_environment()
    mine, theirs = sim.state.find_resource(sim.environment_id, "openid"), sim.state.find_resource(other, "openid")
    assert mine["id"] != theirs["id"]
    assert mine["id"] == (await rest.resource("openid"))["id"]
    assert {s["name"] for s in theirs["scopes"]} == OPENID_SCOPES
    assert sim.state.find_resource(sim.environment_id, mine["id"])["name"] == "openid"
    assert sim.state.find_resource(sim.environment_id, "nope") is None


async def test_create_custom_resource_with_defaults(rest, sim):
    response = await rest.post("/resources", {"name": "orders-api"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"] == created["_links"]["self"]["href"]
    uuid.UUID(created["id"])
    assert created["type"] == "CUSTOM"
    assert created["audience"] == "orders-api"  # OpenAPI: the name when no URL is given
    assert created["accessTokenValiditySeconds"] == 3600
    assert created["createdAt"] == created["updatedAt"]
    assert await rest.ok("get", f"/resources/{created['id']}") == created
    assert await rest.scope_ids(created["id"]) == {}


async def test_create_custom_resource_with_every_field(rest):
    body = {"name": "Orders", "description": "orders", "audience": "https://api.example.com/orders",
            "accessTokenValiditySeconds": 300, "introspectEndpointAuthMethod": "CLIENT_SECRET_POST",
            "applicationPermissionsSettings": {"claimEnabled": True}}
    created = await rest.ok("post", "/resources", body)
    assert {k: created[k] for k in body} == body


@pytest.mark.parametrize("body,target", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x", "type": "OPENID_CONNECT"}, "type"),
    ({"name": "x", "type": "PINGONE_API"}, "type"),
    ({"name": "x", "accessTokenValiditySeconds": 299}, "accessTokenValiditySeconds"),
    ({"name": "x", "accessTokenValiditySeconds": 2592001}, "accessTokenValiditySeconds"),
    ({"name": "x", "accessTokenValiditySeconds": "3600"}, "accessTokenValiditySeconds"),
    ({"name": "x", "accessTokenValiditySeconds": True}, "accessTokenValiditySeconds"),
    ({"name": "x", "audience": "https://api.pingone.com/x"}, "audience"),
    ({"name": "x", "audience": "https://PingIdentity.example"}, "audience"),
    ({"name": "x", "audience": "https://api.example.com/#part"}, "audience"),
    ({"name": "x", "introspectEndpointAuthMethod": "PRIVATE_KEY_JWT"}, "introspectEndpointAuthMethod"),
    ({"name": "x", "clientId": "importedclient", "clientSecret": "importedsecret"}, "clientId"),
])
async def test_create_refusals(rest, body, target):
    assert_p1_error(await rest.post("/resources", body), 400, "INVALID_DATA", target)


@pytest.mark.parametrize("seconds", [300, 2592000])
async def test_validity_bounds_are_inclusive(rest, seconds):
    created = await rest.ok("post", "/resources", {"name": f"r{seconds}", "accessTokenValiditySeconds": seconds})
    assert created["accessTokenValiditySeconds"] == seconds


async def test_names_are_unique_per_environment(rest, sim, http):
    await rest.ok("post", "/resources", {"name": "dup"})
    assert_p1_error(await rest.post("/resources", {"name": "dup"}), 400, "INVALID_DATA", "name")
    assert_p1_error(await rest.post("/resources", {"name": "openid"}), 400, "INVALID_DATA", "name")
    other = sim.state.seed_worker(str(uuid.uuid4()))
    elsewhere = Rest(http, other.environment_id, sim.state.issue_token(other.environment_id, other.client_id))
    await elsewhere.ok("post", "/resources", {"name": "dup"})


async def test_put_is_a_full_replacement(rest, sim):
    created = await rest.ok("post", "/resources", {"name": "r", "description": "d", "audience": "https://a.example",
                                                   "accessTokenValiditySeconds": 600})
    sim.state.advance_clock(1)
    replaced = await rest.ok("put", f"/resources/{created['id']}", {"name": "r2"})
    assert "description" not in replaced
    assert replaced["audience"] == "r2" and replaced["accessTokenValiditySeconds"] == 3600
    assert replaced["createdAt"] == created["createdAt"] and replaced["updatedAt"] > created["updatedAt"]
    assert replaced["id"] == created["id"] and replaced["type"] == "CUSTOM"
    assert await rest.ok("get", f"/resources/{created['id']}") == replaced


async def test_put_refusals(rest):
    created = await rest.ok("post", "/resources", {"name": "r"})
    await rest.ok("post", "/resources", {"name": "taken"})
    path = f"/resources/{created['id']}"
    assert_p1_error(await rest.put(path, {"name": "taken"}), 400, "INVALID_DATA", "name")
    assert_p1_error(await rest.put(path, {"name": "r", "type": "OPENID_CONNECT"}), 400, "INVALID_DATA", "type")
    assert_p1_error(await rest.put(path, {"name": "r", "accessTokenValiditySeconds": 1}), 400, "INVALID_DATA",
                    "accessTokenValiditySeconds")
    assert_p1_error(await rest.put("/resources/missing", {"name": "r"}), 404, "NOT_FOUND")


async def test_built_in_resources_cannot_be_deleted_or_renamed(rest):
    for name in ("openid", "PingOne API"):
        resource = await rest.resource(name)
        path = f"/resources/{resource['id']}"
        assert_p1_error(await rest.delete(path), 400, "INVALID_REQUEST")
        assert_p1_error(await rest.put(path, {"name": "renamed"}), 400, "INVALID_DATA", "name")
        # What a GET returned can be PUT back; the description and token lifetime may change.
        same = {k: v for k, v in resource.items() if k != "_links"}
        await rest.ok("put", path, same)
        changed = await rest.ok("put", path, {**same, "description": "mine", "accessTokenValiditySeconds": 900})
        assert changed["name"] == name and changed["description"] == "mine"
        assert changed["accessTokenValiditySeconds"] == 900
        assert changed.get("audience") == resource.get("audience")
        assert (await rest.resource(name))["id"] == resource["id"]


async def test_delete_custom_resource(rest):
    created = await rest.ok("post", "/resources", {"name": "gone"})
    await rest.ok("post", f"/resources/{created['id']}/scopes", {"name": "read"})
    await rest.ok("delete", f"/resources/{created['id']}")
    assert_p1_error(await rest.get(f"/resources/{created['id']}"), 404, "NOT_FOUND")
    assert_p1_error(await rest.get(f"/resources/{created['id']}/scopes"), 404, "NOT_FOUND")
    assert_p1_error(await rest.delete(f"/resources/{created['id']}"), 404, "NOT_FOUND")
    await rest.ok("post", "/resources", {"name": "gone"})  # the name is free again


async def test_resources_are_authorized_like_applications(rest, http, sim):
    assert_p1_error(await http.get(rest.url("/resources")), 401)
    assert_p1_error(await http.get("/v1/environments/nope/resources", headers=rest.headers), 403)
    other = sim.state.seed_worker(str(uuid.uuid4()))
    foreign = Rest(http, sim.environment_id, sim.state.issue_token(other.environment_id, other.client_id))
    assert_p1_error(await foreign.get("/resources"), 403)
    assert_p1_error(await rest.post("/resources", None), 400)
    response = await http.post(rest.url("/resources"), content=b"{", headers={**rest.headers,
                                                                              "Content-Type": "application/json"})
    assert_p1_error(response, 400, "INVALID_REQUEST")
