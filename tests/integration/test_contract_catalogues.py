"""Contract tests: every response of the resources, scopes, grants, attribute mappings, sign-on
policies, sign-on policy assignments, roles and role assignments routes against PingOne's OpenAPI
(management.yaml), and the request bodies the tests send against its request schemas.

Items are checked against their component schema with `closed=True` (no undeclared properties);
list pages against the operation's EntityArray (whose item types are `oneOf`s, see tests/contract.py).
"""

from __future__ import annotations

import pytest

from pingone_simulator.roles import ROLES
from tests.contract import errors_against

ENV = "~1environments~1{environmentID}"
APP = ENV + "~1applications~1{applicationID}"
# Our route -> (OpenAPI path, item schema, the item's `{id}` parameter in the OpenAPI path).
ROUTES = {
    "resources": (ENV + "~1resources", "Resource", "{resourceID}"),
    "scopes": (ENV + "~1resources~1{resourceID}~1scopes", "ResourceScope", "{scopeID}"),
    "signOnPolicies": (ENV + "~1signOnPolicies", "SignOnPolicy", "{policyID}"),
    "grants": (APP + "~1grants", "ApplicationResourceGrant", "{grantID}"),
    "attributes": (APP + "~1attributes", "ApplicationAttributeMapping", "{attrMappingID}"),
    "signOnPolicyAssignments": (APP + "~1signOnPolicyAssignments", "SignOnPolicyAssignment", "{SOPAssignmentID}"),
    "roleAssignments": (APP + "~1roleAssignments", "RoleAssignment", "{roleAssignmentID}"),
    "roles": ("~1roles", "Role", "{roleID}"),
}


def response_schema(kind: str, method: str, status: int, *, one: bool) -> str:
    path, _, param = ROUTES[kind]
    if one:
        path += "~1" + param
    return f"#/paths/{path}/{method}/responses/{status}/content/application~1json/schema"


def request_schema(kind: str, method: str) -> str:
    path, _, param = ROUTES[kind]
    if method == "put":
        path += "~1" + param
    return f"#/paths/{path}/{method}/requestBody/content/application~1json/schema"


def assert_valid(schema: str, instance, **options) -> None:
    problems = errors_against(schema, instance, **options)
    assert not problems, (schema, problems, instance)


async def check_list(response, kind: str) -> list[dict]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert_valid(response_schema(kind, "get", 200, one=False), body, one_of_as_any_of=True)
    assert_valid("EntityArray", body, closed=True, one_of_as_any_of=True)
    for item in body["_embedded"][kind]:
        assert_valid(ROUTES[kind][1], item, closed=True)
    return body["_embedded"][kind]


def check_one(response, kind: str, method: str, status: int) -> dict:
    assert response.status_code == status, response.text
    # POST answers are described on the list's path; GET and PUT on the item's.
    assert_valid(response_schema(kind, method, status, one=method != "post"), response.json(), closed=True)
    return response.json()


async def send(rest, kind: str, method: str, suffix: str, body: dict, status: int) -> dict:
    """Send a body the OpenAPI accepts (checked first) and check the answer."""
    assert_valid(request_schema(kind, method), body, closed=True)
    return check_one(await getattr(rest, method)(suffix, body), kind, method, status)


def assert_error(response, status: int) -> None:
    assert response.status_code == status, response.text
    assert_valid("P1Error", response.json(), closed=True)
    for item in response.json().get("details", []):
        assert_valid("P1Error_details_inner", item, closed=True)


async def test_resources_and_scopes(rest):
    resources = await check_list(await rest.get("/resources"), "resources")
    assert {r["type"] for r in resources} == {"OPENID_CONNECT", "PINGONE_API"}
    for resource in resources:
        check_one(await rest.get(f"/resources/{resource['id']}"), "resources", "get", 200)
        for scope in await check_list(await rest.get(f"/resources/{resource['id']}/scopes"), "scopes"):
            check_one(await rest.get(f"/resources/{resource['id']}/scopes/{scope['id']}"), "scopes", "get", 200)
    created = await send(rest, "resources", "post", "/resources",
                         {"name": "orders", "audience": "https://orders.example.com", "description": "d",
                          "accessTokenValiditySeconds": 600, "introspectEndpointAuthMethod": "CLIENT_SECRET_POST",
                          "applicationPermissionsSettings": {"claimEnabled": False}}, 201)
    await send(rest, "resources", "put", f"/resources/{created['id']}", {"name": "orders2", "type": "CUSTOM"}, 200)
    scopes = f"/resources/{created['id']}/scopes"
    scope = await send(rest, "scopes", "post", scopes, {"name": "read", "description": "d"}, 201)
    await send(rest, "scopes", "put", f"{scopes}/{scope['id']}", {"name": "read", "mappedClaims": ["c"]}, 200)
    p1 = next(r for r in resources if r["type"] == "PINGONE_API")
    await send(rest, "scopes", "post", f"/resources/{p1['id']}/scopes",
               {"name": "p1:read:user:mine", "schemaAttributes": ["email"]}, 201)
    assert_error(await rest.post("/resources", {"name": "orders2"}), 400)
    assert_error(await rest.delete(f"/resources/{p1['id']}"), 400)
    assert_error(await rest.get("/resources/missing"), 404)
    assert (await rest.delete(f"{scopes}/{scope['id']}")).status_code == 204


async def test_sign_on_policies_and_assignments(rest, web_app_body):
    policies = await check_list(await rest.get("/signOnPolicies"), "signOnPolicies")
    for policy in policies:
        check_one(await rest.get(f"/signOnPolicies/{policy['id']}"), "signOnPolicies", "get", 200)
    created = await send(rest, "signOnPolicies", "post", "/signOnPolicies",
                         {"name": "Mine", "description": "d", "default": False}, 201)
    await send(rest, "signOnPolicies", "put", f"/signOnPolicies/{created['id']}", {"name": "Mine2"}, 200)
    web = await rest.ok("post", "/applications", web_app_body())
    path = f"/applications/{web['id']}/signOnPolicyAssignments"
    item = await send(rest, "signOnPolicyAssignments", "post", path,
                      {"signOnPolicy": {"id": created["id"]}, "priority": 1}, 201)
    await send(rest, "signOnPolicyAssignments", "put", f"{path}/{item['id']}",
               {"signOnPolicy": {"id": policies[0]["id"]}, "priority": 2}, 200)
    await check_list(await rest.get(path), "signOnPolicyAssignments")
    check_one(await rest.get(f"{path}/{item['id']}"), "signOnPolicyAssignments", "get", 200)
    assert_error(await rest.post(path, {"signOnPolicy": {"id": "missing"}, "priority": 1}), 400)
    assert_error(await rest.delete(f"/signOnPolicies/{next(p for p in policies if p['default'])['id']}"), 400)
    assert_error(await rest.get(f"{path}/missing"), 404)


async def test_grants_and_attribute_mappings(rest, web_app_body):
    web = await rest.ok("post", "/applications", web_app_body())
    openid = await rest.resource("openid")
    ids = await rest.scope_ids(openid["id"])
    grants = f"/applications/{web['id']}/grants"
    grant = await send(rest, "grants", "post", grants,
                       {"resource": {"id": openid["id"]}, "scopes": [{"id": ids["profile"]}]}, 201)
    await send(rest, "grants", "put", f"{grants}/{grant['id']}",
               {"resource": {"id": openid["id"]}, "scopes": [{"id": ids["profile"]}, {"id": ids["email"]}]}, 200)
    await check_list(await rest.get(grants), "grants")
    check_one(await rest.get(f"{grants}/{grant['id']}"), "grants", "get", 200)
    assert_error(await rest.post(grants, {"resource": {"id": openid["id"]}, "scopes": [{"id": ids["phone"]}]}), 400)
    attributes = f"/applications/{web['id']}/attributes"
    mapping = await send(rest, "attributes", "post", attributes,
                         {"name": "email", "value": "${user.email}", "required": False, "idToken": True,
                          "userInfo": False, "oidcScopes": [ids["email"]]}, 201)
    await send(rest, "attributes", "put", f"{attributes}/{mapping['id']}",
               {"name": "email", "value": "${user.email}", "required": True}, 200)
    listed = await check_list(await rest.get(attributes), "attributes")
    core = next(m for m in listed if m["mappingType"] == "CORE")
    check_one(await rest.get(f"{attributes}/{core['id']}"), "attributes", "get", 200)
    assert_error(await rest.delete(f"{attributes}/{core['id']}"), 400)
    assert_error(await rest.post(attributes, {"name": "sub", "value": "x", "required": True}), 400)


async def test_roles_and_role_assignments(rest, http, worker_body, sim):
    response = await http.get("/v1/roles", headers=rest.headers)
    assert response.status_code == 200
    body = response.json()
    assert_valid(response_schema("roles", "get", 200, one=False), body, one_of_as_any_of=True)
    for role in body["_embedded"]["roles"]:
        assert_valid("Role", role, closed=True)
        check_one(await http.get(f"/v1/roles/{role['id']}", headers=rest.headers), "roles", "get", 200)
    assert_error(await http.get("/v1/roles/missing", headers=rest.headers), 404)
    target = await rest.ok("post", "/applications", worker_body(assignActorRoles=False))
    path = f"/applications/{target['id']}/roleAssignments"
    created = await send(rest, "roleAssignments", "post", path,
                         {"role": {"id": ROLES["Identity Data Admin"]},
                          "scope": {"id": sim.environment_id, "type": "ENVIRONMENT"}}, 201)
    check_one(await rest.get(f"{path}/{created['id']}"), "roleAssignments", "get", 200)
    await check_list(await rest.get(path), "roleAssignments")
    assert_error(await rest.post(path, {"role": {"id": ROLES["Client Application Developer"]},
                                        "scope": {"id": sim.environment_id, "type": "ENVIRONMENT"}}), 403)
    assert_error(await rest.post(path, {"role": {"id": ROLES["Identity Data Admin"]},
                                        "scope": {"id": sim.environment_id, "type": "ENVIRONMENT"}}), 400)


@pytest.mark.parametrize("kind", list(ROUTES))
def test_every_route_is_in_the_openapi(kind):
    from tests.contract import openapi

    path, schema, param = ROUTES[kind]
    paths = openapi()["paths"]
    listed, one = path.replace("~1", "/"), path.replace("~1", "/") + "/" + param
    assert "get" in paths[listed] and "get" in paths[one]
    assert schema in openapi()["components"]["schemas"]
