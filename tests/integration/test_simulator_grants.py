"""Resource grants of an application: one per resource, scopes of that resource, and what deletes them."""

from __future__ import annotations

import pytest

from tests.integration.sim_api import assert_p1_error

SERVICE = {"name": "svc", "enabled": True, "type": "SERVICE", "protocol": "OPENID_CONNECT",
           "grantTypes": ["CLIENT_CREDENTIALS"], "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"}


@pytest.fixture
async def orders(rest):
    resource = await rest.ok("post", "/resources", {"name": "orders"})
    for name in ("read", "write", "admin"):
        await rest.ok("post", f"/resources/{resource['id']}/scopes", {"name": name})
    return {"id": resource["id"], "scopes": await rest.scope_ids(resource["id"])}


@pytest.fixture
async def app(rest):
    return await rest.ok("post", "/applications", SERVICE)


def grant_body(resource: dict, *names: str) -> dict:
    return {"resource": {"id": resource["id"]}, "scopes": [{"id": resource["scopes"][n]} for n in names]}


async def test_create_read_list_delete(rest, app, orders, sim):
    path = f"/applications/{app['id']}/grants"
    response = await rest.post(path, grant_body(orders, "read", "write"))
    assert response.status_code == 201, response.text
    grant = response.json()
    assert response.headers["Location"] == grant["_links"]["self"]["href"] == \
        f"{sim.api_url}/environments/{sim.environment_id}/applications/{app['id']}/grants/{grant['id']}"
    assert grant["application"] == {"id": app["id"]} and grant["resource"] == {"id": orders["id"]}
    assert grant["scopes"] == [{"id": orders["scopes"]["read"]}, {"id": orders["scopes"]["write"]}]
    assert grant["createdAt"] == grant["updatedAt"]
    assert await rest.ok("get", f"{path}/{grant['id']}") == grant
    assert await rest.items(path, "grants") == [grant]
    assert sim.state.grants(sim.environment_id, app["id"]) == [{k: v for k, v in grant.items() if k != "_links"}]
    await rest.ok("delete", f"{path}/{grant['id']}")
    assert_p1_error(await rest.get(f"{path}/{grant['id']}"), 404, "NOT_FOUND")
    assert_p1_error(await rest.delete(f"{path}/{grant['id']}"), 404, "NOT_FOUND")
    assert await rest.items(path, "grants") == []


async def test_one_grant_per_resource(rest, app, orders):
    path = f"/applications/{app['id']}/grants"
    await rest.ok("post", path, grant_body(orders, "read"))
    assert_p1_error(await rest.post(path, grant_body(orders, "write")), 400, "INVALID_DATA", "resource.id")
    other = await rest.ok("post", "/resources", {"name": "other"})
    scope = await rest.ok("post", f"/resources/{other['id']}/scopes", {"name": "x"})
    await rest.ok("post", path, {"resource": {"id": other["id"]}, "scopes": [{"id": scope["id"]}]})
    assert len(await rest.items(path, "grants")) == 2


async def test_create_refusals(rest, app, orders):
    path = f"/applications/{app['id']}/grants"
    openid = await rest.resource("openid")
    profile = (await rest.scope_ids(openid["id"]))["profile"]
    cases = [
        ({"scopes": [{"id": orders["scopes"]["read"]}]}, "resource.id"),
        ({"resource": {}, "scopes": [{"id": orders["scopes"]["read"]}]}, "resource.id"),
        ({"resource": {"id": "missing"}, "scopes": [{"id": orders["scopes"]["read"]}]}, "resource.id"),
        ({"resource": {"id": orders["id"]}}, "scopes"),
        ({"resource": {"id": orders["id"]}, "scopes": []}, "scopes"),
        ({"resource": {"id": orders["id"]}, "scopes": "read"}, "scopes"),
        ({"resource": {"id": orders["id"]}, "scopes": [{"id": profile}]}, "scopes[0].id"),
        ({"resource": {"id": orders["id"]}, "scopes": [{"id": orders["scopes"]["read"]}, {}]}, "scopes[1].id"),
    ]
    for body, target in cases:
        assert_p1_error(await rest.post(path, body), 400, "INVALID_DATA", target)
    assert await rest.items(path, "grants") == []
    assert_p1_error(await rest.post("/applications/missing/grants", grant_body(orders, "read")), 404, "NOT_FOUND")


async def test_duplicate_scope_ids_count_once(rest, app, orders):
    body = grant_body(orders, "read", "read")
    grant = await rest.ok("post", f"/applications/{app['id']}/grants", body)
    assert grant["scopes"] == [{"id": orders["scopes"]["read"]}]


async def test_put_changes_scopes_but_not_the_resource(rest, app, orders, sim):
    path = f"/applications/{app['id']}/grants"
    grant = await rest.ok("post", path, grant_body(orders, "read"))
    sim.state.advance_clock(1)
    updated = await rest.ok("put", f"{path}/{grant['id']}", grant_body(orders, "write", "admin"))
    assert [s["id"] for s in updated["scopes"]] == [orders["scopes"]["write"], orders["scopes"]["admin"]]
    assert updated["updatedAt"] > grant["updatedAt"] and updated["createdAt"] == grant["createdAt"]
    other = await rest.ok("post", "/resources", {"name": "other"})
    assert_p1_error(await rest.put(f"{path}/{grant['id']}", {"resource": {"id": other["id"]},
                                                             "scopes": updated["scopes"]}),
                    400, "INVALID_DATA", "resource.id")
    assert_p1_error(await rest.put(f"{path}/{grant['id']}", {"resource": {"id": orders["id"]}, "scopes": []}),
                    400, "INVALID_DATA", "scopes")
    assert await rest.ok("get", f"{path}/{grant['id']}") == updated


async def test_oidc_scopes_for_user_apps_but_not_client_credentials_workers(rest, web_app_body, worker_body):
    openid = await rest.resource("openid")
    ids = await rest.scope_ids(openid["id"])
    body = {"resource": {"id": openid["id"]}, "scopes": [{"id": ids["profile"]}, {"id": ids["email"]}]}
    web = await rest.ok("post", "/applications", web_app_body())
    await rest.ok("post", f"/applications/{web['id']}/grants", body)
    worker = await rest.ok("post", "/applications", worker_body(assignActorRoles=False))
    assert_p1_error(await rest.post(f"/applications/{worker['id']}/grants", body), 400, "INVALID_DATA", "resource.id")


async def test_deleting_scopes_resources_and_apps_removes_grants(rest, app, orders, sim):
    path = f"/applications/{app['id']}/grants"
    grant = await rest.ok("post", path, grant_body(orders, "read", "write"))
    await rest.ok("delete", f"/resources/{orders['id']}/scopes/{orders['scopes']['read']}")
    assert (await rest.ok("get", f"{path}/{grant['id']}"))["scopes"] == [{"id": orders["scopes"]["write"]}]
    await rest.ok("delete", f"/resources/{orders['id']}/scopes/{orders['scopes']['write']}")
    assert await rest.items(path, "grants") == []  # a grant left without scopes goes
    await rest.ok("post", path, grant_body(orders, "admin"))
    await rest.ok("delete", f"/resources/{orders['id']}")
    assert await rest.items(path, "grants") == []
    kept = await rest.ok("post", "/resources", {"name": "kept"})
    scope = await rest.ok("post", f"/resources/{kept['id']}/scopes", {"name": "s"})
    await rest.ok("post", path, {"resource": {"id": kept["id"]}, "scopes": [{"id": scope["id"]}]})
    await rest.ok("delete", f"/applications/{app['id']}")
    assert sim.state.grants(sim.environment_id, app["id"]) == []
    assert_p1_error(await rest.get(path), 404, "NOT_FOUND")
