"""The simulator's responses against PingOne's OpenAPI schemas (management.yaml).

Application bodies are checked against `ApplicationOIDC` with `closed=True` (no undeclared
properties): the spec's response wrappers are `oneOf`s that an OIDC app can never satisfy
exactly once (see tests/contract.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from pingone_simulator import FaultConfig
from tests.contract import errors_against, property_names, validate_against

APP_PATH = "#/paths/~1environments~1{environmentID}~1applications~1{applicationID}"
SECRET_GET = (APP_PATH + "~1secret/get/responses/200/content/application~1json/schema")
ROLES_GET = (APP_PATH + "~1roleAssignments/get/responses/200/content/application~1json/schema")
LIST_GET = "#/paths/~1environments~1{environmentID}~1applications/get/responses/200/content/application~1json/schema"

RICH_WEB_APP = {
    "name": "rich", "description": "all the optional fields", "enabled": True, "type": "WEB_APP",
    "protocol": "OPENID_CONNECT", "homePageUrl": "https://app.example.com", "loginPageUrl": "https://app.example.com/login",
    "icon": {"id": "icon-1", "href": "https://app.example.com/icon.png"}, "hiddenFromAppPortal": False,
    "accessControl": {"role": {"type": "ADMIN_USERS_ONLY"}, "group": {"type": "ANY_GROUP", "groups": [{"id": "g1"}]}},
    "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"], "responseTypes": ["CODE"],
    "redirectUris": ["https://app.example.com/cb"], "postLogoutRedirectUris": ["https://app.example.com/bye"],
    "allowWildcardInRedirectUris": False, "pkceEnforcement": "S256_REQUIRED", "parRequirement": "REQUIRED",
    "parTimeout": 120, "refreshTokenDuration": 3600, "refreshTokenRollingDuration": 7200,
    "refreshTokenRollingGracePeriodDuration": 30, "additionalRefreshTokenReplayProtectionEnabled": True,
    "refreshTokenType": "OPAQUE_TOKEN", "initiateLoginUri": "https://app.example.com/login",
    "targetLinkUri": "https://app.example.com/home", "jwksUrl": "https://app.example.com/jwks",
    "devicePathId": "rich-app", "devicePollingInterval": 10, "deviceTimeout": 900,
    "corsSettings": {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://app.example.com"]},
    "requireSignedRequestObject": True, "supportUnsignedRequestObject": False, "idpSignoff": True,
    "includeX5t": True, "opSessionCheckEnabled": True, "requestScopesForMultipleResourcesEnabled": True,
    "signing": {"keyRotationPolicy": {"id": "krp-1"}}, "tokenEndpointAuthMethod": "CLIENT_SECRET_JWT",
}


def assert_valid(schema: str, instance, *, closed: bool = True, one_of_as_any_of: bool = False) -> None:
    problems = errors_against(schema, instance, closed=closed, one_of_as_any_of=one_of_as_any_of)
    assert not problems, problems


def test_loader_accepts_the_reference_bodies(reference):
    assert_valid("ApplicationOIDC", reference("seed-response.json"))
    assert_valid("ApplicationOIDC", reference("seed-request.json"))
    assert "tokenEndpointAuthMethod" in property_names("ApplicationOIDC")
    assert "name" in property_names("ApplicationOIDC")  # inherited through allOf


def test_one_of_wrappers_are_ambiguous_for_oidc_apps(reference):
    body = reference("seed-response.json")
    assert errors_against("readOneApplication_200_response", body)  # matches OIDC and AdminConsole
    assert not errors_against("readOneApplication_200_response", body, one_of_as_any_of=True)


def test_validator_catches_violations(reference):
    body = reference("seed-response.json")
    with pytest.raises(jsonschema.ValidationError):
        validate_against("ApplicationOIDC", {**body, "tokenEndpointAuthMethod": "SECRET"})
    with pytest.raises(jsonschema.ValidationError):
        validate_against("ApplicationOIDC", {**body, "updatedAt": "yesterday"})
    with pytest.raises(jsonschema.ValidationError):
        validate_against("ApplicationOIDC", {**body, "typo": 1}, closed=True)
    validate_against("ApplicationOIDC", {**body, "typo": 1})  # open by default, like the spec


def test_rich_request_is_a_valid_request_body():
    assert_valid("ApplicationOIDC", RICH_WEB_APP)


async def test_create_read_update_list(api, worker_body, reference):
    created = await api.create(RICH_WEB_APP)
    assert created.status_code == 201, created.text
    assert_valid("ApplicationOIDC", created.json())
    worker = await api.create_ok(worker_body(tags=["PING_FED_CONNECTION_INTEGRATION"]))
    assert_valid("ApplicationOIDC", worker)
    read = await api.get(created.json()["id"])
    assert_valid("ApplicationOIDC", read.json())
    updated = await api.put(created.json()["id"], {**RICH_WEB_APP, "description": "changed"})
    assert updated.status_code == 200, updated.text
    assert_valid("ApplicationOIDC", updated.json())
    seeded = await api.put(worker["id"], {**reference("seed-request.json"), "type": "WORKER"})
    assert seeded.status_code == 200, seeded.text
    assert_valid("ApplicationOIDC", seeded.json())
    listing = (await api.list()).json()
    assert_valid("EntityArray", listing, one_of_as_any_of=True)
    for item in listing["_embedded"]["applications"]:
        assert_valid("ApplicationOIDC", item)


async def test_secret_bodies(api, worker_body):
    app = await api.create_ok(worker_body())
    assert_valid("ApplicationSecret", (await api.get_secret(app["id"])).json())
    assert_valid(SECRET_GET, (await api.get_secret(app["id"])).json(), closed=False)
    expires = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    request = {"previous": {"expiresAt": expires}}
    assert_valid("ApplicationSecret", request)
    rotated = await api.rotate_secret(app["id"], request)
    assert_valid("ApplicationSecret", rotated.json())
    assert_valid("ApplicationSecret_previous", rotated.json()["previous"])
    token = await api.http.post(f"/{api.env_id}/as/token", data={"grant_type": "client_credentials"},
                                auth=(app["id"], rotated.json()["previous"]["secret"]))
    assert token.status_code == 200
    used = (await api.get_secret(app["id"])).json()
    assert "lastUsed" in used["previous"]
    assert_valid("ApplicationSecret", used)


def assert_error(response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert_valid("P1Error", body)
    for item in body.get("details", []):
        assert_valid("P1Error_details_inner", item)
        # innerError stays open: PingOne documents retryAfter, which this older spec lacks.
        assert_valid("P1Error_details_inner_innerError", item.get("innerError", {}), closed=False)


async def test_error_bodies(api, http, sim, web_app_body, connect, sim_factory):
    assert_error(await api.create(web_app_body(parTimeout=0, type="X")), 400)
    await api.create_ok(web_app_body(name="taken"))
    assert_error(await api.create(web_app_body(name="taken")), 400)
    assert_error(await http.post(api.path(), content=b"{", headers={**api.headers,
                                                                   "Content-Type": "application/json"}), 400)
    assert_error(await http.get(api.path()), 401)
    assert_error(await http.get("/v1/environments/nope/applications", headers=api.headers), 403)
    assert_error(await api.get("missing"), 404)
    limited = connect(await sim_factory(rate_limit=1))
    await limited.list()
    assert_error(await limited.list(), 429)
    for status in (500, 503):
        faulty = connect(await sim_factory(faults=FaultConfig(error_rate=1.0, error_status=status)))
        assert_error(await faulty.list(), status)


async def test_list_pages(sim_factory, connect, worker_body):
    api = connect(await sim_factory(page_size=2))
    for i in range(3):
        await api.create_ok(worker_body(name=f"w{i}"))
    page = (await api.list(filter='type eq "WORKER"')).json()
    seen = 0
    while True:
        assert_valid(LIST_GET, page, closed=False, one_of_as_any_of=True)
        assert_valid("EntityArray", page, one_of_as_any_of=True)
        for item in page["_embedded"]["applications"]:
            assert_valid("ApplicationOIDC", item)
        seen += len(page["_embedded"]["applications"])
        if "next" not in page["_links"]:
            break
        assert_valid("LinksHATEOAS_value", page["_links"]["next"])
        page = (await api.http.get(page["_links"]["next"]["href"], headers=api.headers)).json()
    assert seen == 4
    assert_error(await api.list(cursor="bogus"), 400)


async def test_role_assignments(api, sim, worker_body):
    inherited = await api.create_ok(worker_body())
    for app_id in (sim.state.worker.client_id, inherited["id"]):
        body = (await api.http.get(api.path(app_id, "/roleAssignments"), headers=api.headers)).json()
        assert body["_embedded"]["roleAssignments"]
        assert_valid(ROLES_GET, body, closed=False, one_of_as_any_of=True)
        assert_valid("EntityArray", body, one_of_as_any_of=True)
        for item in body["_embedded"]["roleAssignments"]:
            assert_valid("RoleAssignment", item)
    for item in sim.state.role_assignments(sim.environment_id, inherited["id"]):
        assert_valid("RoleAssignment", item)
    assert_error(await api.http.get(api.path("missing", "/roleAssignments"), headers=api.headers), 404)


def test_role_assignment_schema_catches_violations():
    good = {"id": "a", "role": {"id": "r"}, "scope": {"id": "e", "type": "ENVIRONMENT"},
            "environment": {"id": "e"}, "readOnly": False}
    assert_valid("RoleAssignment", good)
    assert errors_against("RoleAssignment", {**good, "scope": {"id": "e", "type": "GALAXY"}})
    assert errors_against("RoleAssignment", {k: v for k, v in good.items() if k != "role"})
    assert errors_against("RoleAssignment", {**good, "application": {"id": "x"}}, closed=True)
