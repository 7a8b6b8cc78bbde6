"""PingOneResource end to end: a custom API resource and its scopes, three-way (declared scopes
enforced, removed ones deleted, never-declared ones left alone), drift restored, deletion by
policy, tenancy as for applications, built-ins never managed, and a client granted its scopes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from pingone_operator.config import load_pingone_settings
from pingone_operator.pingone.client import PingOneClient

from tests.e2e.conftest import DRIFT
from tests.e2e.helpers import API_VERSION, ROOT, SEED, application, condition, ready, secret_data, wait_for

pytestmark = pytest.mark.e2e

SPEC = {"name": "Orders API", "description": "The orders service", "audience": "https://orders.example.com",
        "accessTokenValiditySeconds": 900,
        "scopes": [{"name": "orders:read", "description": "Read orders"},
                   {"name": "orders:write", "description": "Write orders"}]}
CLIENT = {"name": "Orders-Client", "enabled": True, "type": "SERVICE", "protocol": "OPENID_CONNECT",
          "grantTypes": ["CLIENT_CREDENTIALS"], "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
          "grants": [{"resource": "Orders API", "scopes": ["orders:read", "orders:write"]}]}


@pytest.fixture(scope="module", autouse=True)
def resource_crd(control_plane, crd):
    control_plane.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                          "crd/pingoneresources.pingone-operator.dev")


def api_resource(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "PingOneResource", "metadata": {"name": name}, "spec": spec}


def resource_ready(kube, name: str, generation: int | None = None) -> dict[str, Any] | None:
    obj = kube.get("p1res", name)
    if condition(obj).get("status") != "True" or not obj["status"].get("resourceId"):
        return None
    return obj if generation is None or obj["status"].get("observedGeneration") == generation else None


def in_pingone(admin, resource_id: str) -> dict[str, Any] | None:
    """The resource as the simulator holds it, with its scopes."""
    listed = admin.http.get(f"/environments/{admin.env}/resources").raise_for_status().json()["resources"]
    return next((r for r in listed if r["id"] == resource_id), None)


def scopes_of(admin, resource_id: str) -> dict[str, str | None]:
    return {s["name"]: s.get("description") for s in (in_pingone(admin, resource_id) or {}).get("scopes", [])}


def writes(admin) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in admin.requests(path_contains="/resources")
            if e["method"] in ("POST", "PUT", "DELETE")]


def behind_the_back(simulator, call):
    """A change made outside the operator, through PingOne's API (as the console would)."""
    async def run():
        client = PingOneClient.from_settings(load_pingone_settings(simulator.operator_env()))
        try:
            return await call(client, simulator.environment_id)
        finally:
            await client.aclose()

    return asyncio.run(run())


def test_scopes_three_way_and_drift(simulator, kube, admin, operator):
    kube.apply(api_resource("orders-api", SPEC))
    live = wait_for(lambda: resource_ready(kube, "orders-api"), what="Ready")
    rid, status = live["status"]["resourceId"], live["status"]
    assert status["updatedAt"] and status["environmentId"] == simulator.environment_id
    assert status["managedScopes"] == ["orders:read", "orders:write"]
    assert condition(live, "Synced")["status"] == "True" and live["spec"] == SPEC  # nothing written back
    found = in_pingone(admin, rid)
    assert (found["type"], found["audience"], found["accessTokenValiditySeconds"]) == \
        ("CUSTOM", "https://orders.example.com", 900)
    assert scopes_of(admin, rid) == {"orders:read": "Read orders", "orders:write": "Write orders"}

    # A scope made in the console: never declared, so left alone by every sync below.
    behind_the_back(simulator, lambda c, env: c.create_scope(env, rid, {"name": "console:made"}))

    # Editing one scope is one request.
    admin.clear_requests()
    edited = {**SPEC, "scopes": [{"name": "orders:read", "description": "Read all orders"}, SPEC["scopes"][1]]}
    kube.apply(api_resource("orders-api", edited))
    wait_for(lambda: resource_ready(kube, "orders-api", generation=2), what="generation 2 Ready")
    assert scopes_of(admin, rid)["orders:read"] == "Read all orders"
    assert [method for method, _ in writes(admin)] == ["PUT"] and "/scopes/" in writes(admin)[0][1]

    # Removing a scope from the spec deletes it in PingOne.
    kube.apply(api_resource("orders-api", {**edited, "scopes": edited["scopes"][:1]}))
    live = wait_for(lambda: resource_ready(kube, "orders-api", generation=3), what="generation 3 Ready")
    assert set(scopes_of(admin, rid)) == {"orders:read", "console:made"}
    assert live["status"]["managedScopes"] == ["orders:read"]

    # Drift: a deleted scope and a changed audience come back at the next check.
    read_id = next(s["id"] for s in in_pingone(admin, rid)["scopes"] if s["name"] == "orders:read")
    behind_the_back(simulator, lambda c, env: c.delete_scope(env, rid, read_id))
    kept = {k: in_pingone(admin, rid)[k] for k in ("name", "description", "accessTokenValiditySeconds")}
    moved = {**kept, "audience": "https://else.example"}
    behind_the_back(simulator, lambda c, env: c.replace_resource(env, rid, moved))
    wait_for(lambda: "orders:read" in scopes_of(admin, rid)
             and in_pingone(admin, rid)["audience"] == "https://orders.example.com",
             timeout=4 * float(DRIFT) + 30, what="drift restored")
    assert "console:made" in scopes_of(admin, rid)
    reasons = kube.event_reasons("orders-api")
    assert "Created" in reasons and "ScopesUpdated" in reasons and "DriftCorrected" in reasons


def test_deletion_deletes_or_orphans_by_policy(kube, admin, operator):
    kube.apply(api_resource("deleted", {**SPEC, "name": "Deleted API"}))
    kube.apply(api_resource("kept", {**SPEC, "name": "Kept API", "deletionPolicy": "Orphan"}))
    deleted = wait_for(lambda: resource_ready(kube, "deleted"), what="Ready")["status"]["resourceId"]
    kept = wait_for(lambda: resource_ready(kube, "kept"), what="Ready")["status"]["resourceId"]
    kube.delete("p1res", "deleted")
    kube.delete("p1res", "kept")
    wait_for(lambda: kube.get("p1res", "deleted") is None and kube.get("p1res", "kept") is None, what="both gone")
    assert in_pingone(admin, deleted) is None
    assert in_pingone(admin, kept)["name"] == "Kept API" and len(in_pingone(admin, kept)["scopes"]) == 2


def test_a_namespace_the_connection_does_not_allow_is_refused(kube, admin, start_operator):
    start_operator(DEFAULT_CONNECTION_ALLOWED_NAMESPACES="someone-else")
    kube.apply(api_resource("refused", SPEC))
    obj = wait_for(lambda: condition(o := kube.get("p1res", "refused")).get("reason") == "ConnectionDenied" and o,
                   what="ConnectionDenied")
    assert condition(obj)["status"] == "False" and kube.ns in condition(obj)["message"]
    assert writes(admin) == [] and not (obj.get("status") or {}).get("resourceId")


def test_built_in_resources_are_never_adopted(kube, admin, operator):
    openid = next(r for r in admin.http.get(f"/environments/{admin.env}/resources").json()["resources"]
                  if r["name"] == "openid")
    kube.apply(api_resource("openid", {"name": "Adopted OpenID", "adoptResourceId": openid["id"]}))
    obj = wait_for(lambda: condition(o := kube.get("p1res", "openid")).get("reason") == "ProtectedResource" and o,
                   what="ProtectedResource")
    assert "built-in" in condition(obj)["message"] and writes(admin) == []


def test_a_client_granted_two_of_its_scopes_becomes_ready(simulator, kube, admin, operator):
    # One repository: the API and its client, applied together.
    kube.apply(api_resource("orders-api", SPEC))
    kube.apply(application("orders-client", CLIENT))
    wait_for(lambda: resource_ready(kube, "orders-api"), what="the resource Ready")
    client = wait_for(lambda: ready(kube, "orders-client"), timeout=90, what="the client Ready")
    assert condition(client, "Synced")["status"] == "True"
    data = secret_data(kube, "orders-client-oidc")
    answer = httpx.post(f"{simulator.auth_url}/{simulator.environment_id}/as/token", timeout=10,
                        data={"grant_type": "client_credentials", "scope": "orders:read orders:write"},
                        auth=(data["client-id"], data["client-secret"]))
    assert answer.status_code == 200, answer.text
    assert set(answer.json()["scope"].split()) == {"orders:read", "orders:write"}
    assert answer.json()["expires_in"] == 900  # the resource's accessTokenValiditySeconds


def test_an_operator_running_before_the_crd_exists_serves_applications_then_resources(
        control_plane, kube, admin, start_operator):
    # `helm upgrade` never installs a new CRD: the operator may start before it exists. (Tests run
    # one at a time; earlier tests' PingOneResources, whose operators are gone, lose their finalizers
    # so that the CRD can go.)
    leftovers = json.loads(control_plane.kubectl("get", "p1res", "-A", "-o", "json").stdout)["items"]
    for obj in leftovers:
        control_plane.kubectl("patch", "p1res", obj["metadata"]["name"], "-n", obj["metadata"]["namespace"],
                              "--type=merge", "-p", '{"metadata": {"finalizers": null}}')
    control_plane.kubectl("delete", "crd", "pingoneresources.pingone-operator.dev")
    try:
        operator = start_operator()
        kube.apply(application("plain", SEED))
        wait_for(lambda: ready(kube, "plain"), what="an application Ready without the PingOneResource CRD")
    finally:
        control_plane.kubectl("apply", "--server-side", "-f", str(ROOT / "crds" / "pingoneresources.yaml"))
        control_plane.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                              "crd/pingoneresources.pingone-operator.dev")
    kube.apply(api_resource("late", SPEC))  # served once the CRD is there, without a restart
    try:
        wait_for(lambda: resource_ready(kube, "late"), timeout=180,  # kopf finds a new CRD on its next scan
                 what="the resource Ready")
    except AssertionError as timeout:  # say where it stopped: the log's tail is the other object's timers
        late = kube.get("p1res", "late")
        about = [line for line in operator.logs().splitlines() if "pingoneresources" in line or '"late"' in line]
        raise AssertionError(f"{timeout}\nfinalizers {late['metadata'].get('finalizers')}, status {late.get('status')}"
                             f"\noperator log on PingOneResources:\n" + "\n".join(about[-30:])) from None
