"""Attribute mappings: the CORE `sub` mapping of every OIDC app, custom mappings and their rules."""

from __future__ import annotations

import pytest

from tests.integration.sim_api import assert_p1_error

RESERVED = ["acr", "amr", "at_hash", "aud", "auth_time", "azp", "client_id", "exp", "iat", "iss", "jti", "nbf",
            "nonce", "org", "scope", "sid", "sub"]


@pytest.fixture
async def web(rest, web_app_body):
    return await rest.ok("post", "/applications", web_app_body())


def path(app: dict, suffix: str = "") -> str:
    return f"/applications/{app['id']}/attributes{suffix}"


async def test_every_oidc_app_starts_with_the_core_sub_mapping(rest, web, worker_body, sim):
    for app in (web, await rest.ok("post", "/applications", worker_body(assignActorRoles=False))):
        (core,) = await rest.items(path(app), "attributes")
        assert {k: core[k] for k in ("name", "value", "required", "mappingType", "idToken", "userInfo")} == \
            {"name": "sub", "value": "${user.id}", "required": True, "mappingType": "CORE", "idToken": True,
             "userInfo": True}
        assert core["application"] == {"id": app["id"]}
        assert sim.state.attribute_mappings(sim.environment_id, app["id"])[0]["id"] == core["id"]


async def test_create_custom_mapping(rest, web):
    response = await rest.post(path(web), {"name": "email", "value": "${user.email}", "required": False})
    assert response.status_code == 201, response.text
    mapping = response.json()
    assert response.headers["Location"] == mapping["_links"]["self"]["href"]
    assert mapping["mappingType"] == "CUSTOM" and mapping["idToken"] is True and mapping["userInfo"] is True
    assert mapping["application"] == {"id": web["id"]} and "oidcScopes" not in mapping
    assert await rest.ok("get", path(web, f"/{mapping['id']}")) == mapping
    assert len(await rest.items(path(web), "attributes")) == 2


@pytest.mark.parametrize("value", ["constant", "${user.name.given}",
                                   "${user.name.given + ', ' + user.name.family}", "${ user.email }"])
async def test_accepted_values(rest, web, value):
    await rest.ok("post", path(web), {"name": "x", "value": value, "required": True})


@pytest.mark.parametrize("name", RESERVED)
async def test_reserved_names(rest, web, name):
    assert_p1_error(await rest.post(path(web), {"name": name, "value": "${user.id}", "required": False}), 400,
                    "INVALID_DATA", "name")


@pytest.mark.parametrize("body,target", [
    ({"value": "${user.email}", "required": False}, "name"),
    ({"name": "email", "required": False}, "value"),
    ({"name": "email", "value": "${user.email}"}, "required"),
    ({"name": "email", "value": "${user.email}", "required": "yes"}, "required"),
    ({"name": "email", "value": "${ldap.mail}", "required": False}, "value"),
    ({"name": "email", "value": "${user.email", "required": False}, "value"),
    ({"name": "email", "value": "${user.email}", "required": False, "idToken": False, "userInfo": False}, "idToken"),
    ({"name": "email", "value": "${user.email}", "required": False, "oidcScopes": []}, "oidcScopes"),
    ({"name": "email", "value": "${user.email}", "required": False, "oidcScopes": ["not-granted"]}, "oidcScopes"),
])
async def test_create_refusals(rest, web, body, target):
    assert_p1_error(await rest.post(path(web), body), 400, "INVALID_DATA", target)


async def test_names_are_unique_per_application(rest, web, web_app_body):
    body = {"name": "email", "value": "${user.email}", "required": False}
    await rest.ok("post", path(web), body)
    assert_p1_error(await rest.post(path(web), body), 400, "INVALID_DATA", "name")
    other = await rest.ok("post", "/applications", web_app_body(name="other"))
    await rest.ok("post", path(other), body)


async def test_oidc_scopes_must_be_granted(rest, web):
    openid = await rest.resource("openid")
    ids = await rest.scope_ids(openid["id"])
    body = {"name": "custom", "value": "${user.email}", "required": False, "oidcScopes": [ids["profile"]]}
    assert_p1_error(await rest.post(path(web), body), 400, "INVALID_DATA", "oidcScopes")
    await rest.ok("post", f"/applications/{web['id']}/grants",
                  {"resource": {"id": openid["id"]}, "scopes": [{"id": ids["profile"]}]})
    mapping = await rest.ok("post", path(web), body)
    assert mapping["oidcScopes"] == [ids["profile"]]
    await rest.ok("post", path(web), {**body, "name": "nulled", "oidcScopes": None})  # null: accepted (OpenAPI)


async def test_core_mapping_value_changes_but_it_stays(rest, web):
    (core,) = await rest.items(path(web), "attributes")
    assert_p1_error(await rest.delete(path(web, f"/{core['id']}")), 400, "INVALID_REQUEST")
    changed = await rest.ok("put", path(web, f"/{core['id']}"), {"name": "sub", "value": "${user.email}",
                                                                 "required": True})
    assert changed["value"] == "${user.email}" and changed["mappingType"] == "CORE" and changed["id"] == core["id"]
    assert_p1_error(await rest.put(path(web, f"/{core['id']}"), {"name": "sub", "value": "${user.id}",
                                                                 "required": False}), 400, "INVALID_DATA", "required")
    assert_p1_error(await rest.put(path(web, f"/{core['id']}"), {"name": "subject", "value": "${user.id}",
                                                                 "required": True}), 400, "INVALID_DATA", "name")


async def test_put_is_a_full_replacement_and_delete(rest, web, sim):
    mapping = await rest.ok("post", path(web), {"name": "email", "value": "${user.email}", "required": True,
                                                "idToken": False})
    sim.state.advance_clock(1)
    replaced = await rest.ok("put", path(web, f"/{mapping['id']}"), {"name": "mail", "value": "${user.email}",
                                                                     "required": False})
    assert replaced["idToken"] is True and replaced["name"] == "mail" and replaced["mappingType"] == "CUSTOM"
    assert replaced["updatedAt"] > mapping["updatedAt"] and replaced["createdAt"] == mapping["createdAt"]
    assert_p1_error(await rest.put(path(web, f"/{mapping['id']}"), {"name": "sub", "value": "x", "required": True}),
                    400, "INVALID_DATA", "name")
    await rest.ok("delete", path(web, f"/{mapping['id']}"))
    assert_p1_error(await rest.get(path(web, f"/{mapping['id']}")), 404, "NOT_FOUND")
    assert [m["name"] for m in await rest.items(path(web), "attributes")] == ["sub"]
