"""A real Argo CD (built from its Go module: testbed/argocd.py) syncing PingOne resources from a
local git repository, with the operator and the PingOne simulator, on the test bed's API server.

Our health checks and the resync action reach Argo CD as docs/gitops.md tells users: the
argocd-cm patch (argocd/argocd-cm-patch.yaml) merged into argocd-cm with kustomize. The Application
uses the sync options the docs recommend (ServerSideApply, waves: the connection first).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
import yaml

from testbed.argocd import ArgoCD, summary
from tests.e2e.helpers import SEED, application, condition, wait_for

pytestmark = pytest.mark.e2e

RESYNC = "ops.pingone-operator.dev/resync"
BAD_CORS = {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://a.example.com/path"]}


def manifest(obj: dict[str, Any], wave: int | None = None) -> str:
    if wave is not None:
        obj["metadata"].setdefault("annotations", {})["argocd.argoproj.io/sync-wave"] = str(wave)
    return yaml.safe_dump(obj, sort_keys=False)


def p1app(resource: str, **spec: Any) -> dict[str, Any]:
    return application(resource, **spec)


def resources(argo: ArgoCD, app: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The app's resources with their sync and health status, as the API server (UI, CLI) shows them:
    Argo CD 3 keeps resource health in its cache, not in the Application object."""
    got = json.loads(argo.cli("app", "get", app, "-o", "json").stdout)
    return {(r["kind"], r["name"]): r for r in got["status"].get("resources") or []}


def wait_resource_health(argo: ArgoCD, app: str, kind: str, name: str, status: str,
                         timeout: float = 90) -> dict[str, Any]:
    return wait_for(lambda: ((r := resources(argo, app).get((kind, name))) and (r.get("health") or {})
                             .get("status") == status and r), timeout=timeout,
                    what=f"{kind}/{name} {status} in Argo CD")


def app_name(kube, base: str) -> str:
    """Unique per test: a resource an earlier test left behind (its namespace still terminating)
    carries the tracking id of an Application of the same name, and would join it."""
    return f"{base}-{kube.ns[-6:]}"


def cli_actions(argo: ArgoCD, app: str) -> list[tuple[str, str, bool]]:
    """`argocd app actions list`: (resource, action, disabled) of the app's PingOneApplications."""
    listed = json.loads(argo.cli("app", "actions", "list", app, "--kind", "PingOneApplication", "-o", "json").stdout)
    return [(a["Name"], a["Action"], a["Disabled"]) for a in listed]


def ui_actions(argo: ArgoCD, app: str, namespace: str, name: str) -> list[dict[str, Any]]:
    """The actions the UI offers in a PingOneApplication's menu (the REST call it makes)."""
    return argo.api(f"/api/v1/applications/{app}/resource/actions", namespace=namespace, resourceName=name,
                    group="pingone-operator.dev", kind="PingOneApplication", version="v1alpha1")["actions"]


def test_waves_sync_an_edit_is_one_put_a_removal_prunes_and_refreshes_find_no_drift(
        argocd, repo, kube, admin, simulator, start_operator, control_plane):
    ns = kube.ns
    app_shop = app_name(kube, "shop")
    # The connection's credentials: in the operator's namespace, not in Git.
    control_plane.kubectl("create", "secret", "generic", "team-worker", "-n", ns,
                          f"--from-literal=client-id={simulator.client_id}",
                          f"--from-literal=client-secret={simulator.client_secret}")
    conn = f"team-{ns[-6:]}"
    connection = {"apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneConnection",
                  "metadata": {"name": conn},
                  "spec": {"apiUrl": simulator.api_url, "authUrl": simulator.auth_url,
                           "environmentId": simulator.environment_id, "credentialsSecret": {"name": "team-worker"},
                           "allowedNamespaces": [ns]}}
    web = p1app("shop-web", connectionRef={"name": conn}, name="Shop-Web")
    api = p1app("shop-api", connectionRef={"name": conn}, name="Shop-Api", deletionPolicy="Orphan")
    sha = repo.commit({"apps/connection.yaml": manifest(connection, 0), "apps/shop-web.yaml": manifest(web, 10),
                       "apps/shop-api.yaml": manifest(api, 10)}, "a connection and two applications")
    try:
        argocd.create_app(app_shop, repo.url, "apps", ns)
        # Waves: with no operator yet, the connection stays Progressing, and wave 10 waits for it.
        wait_resource_health(argocd, app_shop, "PingOneConnection", conn, "Progressing")
        time.sleep(5)
        assert argocd.app(app_shop)["status"]["operationState"]["phase"] == "Running"
        assert kube.get("p1app", "shop-web") is None and kube.get("p1app", "shop-api") is None
        start_operator(OPERATOR_NAMESPACE=ns)
        argocd.wait_app(app_shop, revision=sha, timeout=180)
        live_conn = json.loads(control_plane.kubectl("get", "p1conn", conn, "-o", "json").stdout)
        connected_at = condition(live_conn)["lastTransitionTime"]
        for name in ("shop-web", "shop-api"):
            assert kube.get("p1app", name)["metadata"]["creationTimestamp"] >= connected_at
        tree = resources(argocd, app_shop)
        assert {k: (r["status"], r["health"]["status"]) for k, r in tree.items()} == {
            ("PingOneConnection", conn): ("Synced", "Healthy"),
            ("PingOneApplication", "shop-web"): ("Synced", "Healthy"),
            ("PingOneApplication", "shop-api"): ("Synced", "Healthy"),
        }
        ids = {n: kube.get("p1app", n)["status"]["applicationId"] for n in ("shop-web", "shop-api")}

        # Refreshes after Ready: no diff from status, the operator's metadata, defaults or the Secret.
        for _ in range(3):
            time.sleep(1)
            app = argocd.refresh(app_shop)
            assert app["status"]["sync"]["status"] == "Synced", summary(app)
            assert {r["status"] for r in app["status"]["resources"]} == {"Synced"}, summary(app)

        # An edit in Git: one PUT, Synced and Healthy again.
        admin.clear_requests()
        web["spec"]["description"] = "edited in Git"
        sha = repo.commit({"apps/shop-web.yaml": manifest(web, 10)}, "edit shop-web")
        argocd.refresh(app_shop)
        argocd.wait_app(app_shop, revision=sha)
        wait_for(lambda: (o := kube.get("p1app", "shop-web"))["status"].get("observedGeneration") == 2 and o,
                 what="generation 2 applied")
        wait_resource_health(argocd, app_shop, "PingOneApplication", "shop-web", "Healthy")
        time.sleep(3)  # a drift check or two: nothing more is written
        puts = admin.requests("PUT")
        assert [p["path"].rsplit("/", 1)[-1] for p in puts] == [ids["shop-web"]], puts
        assert admin.app(ids["shop-web"])["description"] == "edited in Git"

        # A removal from Git: pruned; Delete removes the PingOne application, Orphan keeps it.
        sha = repo.commit({"apps/shop-web.yaml": None, "apps/shop-api.yaml": None}, "remove both")
        argocd.refresh(app_shop)
        argocd.wait_app(app_shop, revision=sha)
        wait_for(lambda: kube.get("p1app", "shop-web") is None and kube.get("p1app", "shop-api") is None,
                 what="both pruned")
        assert admin.app(ids["shop-web"]) is None
        assert admin.app(ids["shop-api"]) is not None
        assert set(resources(argocd, app_shop)) == {("PingOneConnection", conn)}
    finally:
        argocd.delete_app(app_shop)
        control_plane.kubectl("delete", "p1conn", conn, "--wait=false", check=False)


def test_a_spec_pingone_refuses_is_degraded_with_pingones_message(argocd, repo, kube, operator):
    app_refused = app_name(kube, "refused")
    sha = repo.commit({"apps/bad.yaml": manifest(p1app("bad-cors", corsSettings=BAD_CORS))}, "bad CORS")
    argocd.create_app(app_refused, repo.url, "apps", kube.ns)
    argocd.wait_app(app_refused, health="Degraded", revision=sha)
    resource = wait_resource_health(argocd, app_refused, "PingOneApplication", "bad-cors", "Degraded")
    message = resource["health"]["message"]
    assert message.startswith("InvalidSpec: PingOne refused the application: PingOne 400 INVALID_DATA"), message
    assert "corsSettings.origins" in message


def test_paused_is_suspended_and_resync_is_greyed_out(argocd, repo, kube, admin, operator):
    app_paused = app_name(kube, "paused")
    sha = repo.commit({"apps/paused.yaml": manifest(p1app("paused", managementPolicy="Paused"))}, "paused")
    argocd.create_app(app_paused, repo.url, "apps", kube.ns)
    argocd.wait_app(app_paused, health="Suspended", revision=sha)
    resource = wait_resource_health(argocd, app_paused, "PingOneApplication", "paused", "Suspended")
    assert resource["health"]["message"].startswith("Paused: ")
    assert cli_actions(argocd, app_paused) == [("paused", "resync", True)]
    assert ui_actions(argocd, app_paused, kube.ns, "paused") == [
        {"name": "resync", "disabled": True, "displayName": "Resync from PingOne", "iconClass": "fa fa-fw fa-sync"}]
    assert admin.writes() == []


@pytest.mark.parametrize("sync_options", [("ServerSideApply=true",), ()], ids=["server-side", "client-side"])
def test_resync_action_from_the_argocd_cli(argocd, repo, kube, admin, operator, sync_options):
    """Also: the annotation the action sets makes no diff, with either apply (and so either diff)."""
    app_resync = app_name(kube, "resync")
    sha = repo.commit({"apps/app.yaml": manifest(p1app("shared-web-app"))}, "an application")
    argocd.create_app(app_resync, repo.url, "apps", kube.ns, sync_options=sync_options)
    argocd.wait_app(app_resync, revision=sha)
    obj = kube.get("p1app", "shared-web-app")
    app_id = obj["status"]["applicationId"]
    assert RESYNC not in obj["metadata"].get("annotations", {})
    assert cli_actions(argocd, app_resync) == [("shared-web-app", "resync", False)]
    assert ui_actions(argocd, app_resync, kube.ns, "shared-web-app") == [
        {"name": "resync", "displayName": "Resync from PingOne", "iconClass": "fa fa-fw fa-sync"}]

    admin.clear_requests()
    argocd.cli("app", "actions", "run", app_resync, "resync", "--kind", "PingOneApplication",
               "--resource-name", "shared-web-app", "--namespace", kube.ns)
    stamp = kube.get("p1app", "shared-web-app")["metadata"]["annotations"][RESYNC]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp), stamp
    # The operator resynced at once: an Event, and PingOne read (not written: nothing drifted).
    wait_for(lambda: "Resynced" in kube.event_reasons("shared-web-app"), timeout=30, what="Resynced Event")
    assert [r for r in admin.requests("GET") if r["path"].endswith(app_id)], "PingOne was not read"
    assert [w for w in admin.writes() if w["method"] != "GET"] == []
    # The annotation is live-only: no diff.
    app = argocd.refresh(app_resync)
    assert app["status"]["sync"]["status"] == "Synced", summary(app)
    assert SEED["name"] == admin.app(app_id)["name"]
