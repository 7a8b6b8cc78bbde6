"""GitOps behaviour end to end: Argo CD's health check on objects the operator really wrote, and
no perpetual diff for kubectl/Argo CD applies (server-side and client-side).

Health: each test drives a PingOneApplication into one state with the real operator and the
PingOne simulator, runs ``argocd/.../PingOneApplication/health.lua`` on the live object (in Lua
5.1, with Argo CD's restricted libraries) and checks the result against the matching case of
``health_test.yaml``. With ``PINGONE_CAPTURE_ARGOCD_TESTDATA=1`` the live objects are also written
to ``testdata/`` (managedFields, uid, resourceVersion and kubectl's last-applied annotation
removed, the namespace renamed to ``team-a``): that is how the committed testdata was made.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

import pytest
import yaml

from tests.e2e.helpers import SEED, Kube, application, condition, ready, wait_for
from tests.e2e.conftest import DRIFT
from tests.e2e.helpers import create_app
from tests.gitops.argocd_lua import CONNECTION_DIR, HEALTH_DIR, load_cases, run_health

pytestmark = pytest.mark.e2e

CAPTURE = os.environ.get("PINGONE_CAPTURE_ARGOCD_TESTDATA", "") not in ("", "0")
CASES = {case["inputPath"]: case["healthStatus"] for case in load_cases()}
CONNECTION_CASES = {case["inputPath"]: case["healthStatus"] for case in load_cases(CONNECTION_DIR)}
FINALIZER = "pingone-operator.dev/finalizer"
DIFFBASE = "last-handled-configuration"  # kopf's, in status.kopf
ARGO_MANAGER = "argocd-controller"  # the field manager Argo CD's server-side apply uses


# ----------------------------------------------------------------------------------------------
# Health of live objects
# ----------------------------------------------------------------------------------------------

def sanitized(obj: dict[str, Any]) -> dict[str, Any]:
    """The live object without the noise that makes testdata churn; behaviourally the same."""
    obj = json.loads(json.dumps(obj))
    meta = obj["metadata"]
    for key in ("managedFields", "uid", "resourceVersion"):
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if not annotations:
        meta.pop("annotations", None)
    if "namespace" in meta:  # cluster-scoped objects (PingOneConnection) have none
        meta["namespace"] = "team-a"
    return obj


def check_health(obj: dict[str, Any], testdata: str, health_dir=HEALTH_DIR) -> dict[str, Any]:
    """health.lua on the live object gives the status health_test.yaml expects for `testdata`
    (and, with the open libraries, the same result); with CAPTURE, write the object there."""
    path = f"testdata/{testdata}.yaml"
    cases = CASES if health_dir == HEALTH_DIR else CONNECTION_CASES
    assert path in cases, f"{path} is not a case in {health_dir.name}/health_test.yaml"
    health = run_health(obj, health_dir=health_dir)
    assert health == run_health(obj, sandboxed=False, health_dir=health_dir)
    assert health["status"] == cases[path]["status"], (health, cases[path])
    if CAPTURE:
        (health_dir / path).write_text(yaml.safe_dump(sanitized(obj), sort_keys=False, width=4096))
        record_expected_message(path, health["message"], health_dir)
    return health


def record_expected_message(path: str, message: str, health_dir=HEALTH_DIR) -> None:
    """Capture mode: the new object's message becomes the case's expected message."""
    test_file = health_dir / "health_test.yaml"
    spec = yaml.safe_load(test_file.read_text())
    for case in spec["tests"]:
        if case["inputPath"] == path:
            case["healthStatus"]["message"] = message
    test_file.write_text(yaml.safe_dump(spec, sort_keys=False, width=4096))


def reason_is(kube: Kube, name: str, reason: str, type_: str = "Ready"):
    return lambda: condition(obj := kube.get("p1app", name), type_).get("reason") == reason and obj


def test_health_progressing_before_first_sync_then_healthy(kube, start_operator):
    kube.apply(application("shared-web-app"))
    obj = kube.get("p1app", "shared-web-app")
    assert "status" not in obj
    assert check_health(obj, "progressing-not-yet-reconciled")["message"] == \
        "Waiting for the operator to reconcile the application"

    start_operator()
    obj = wait_for(lambda: ready(kube, "shared-web-app"), what="Ready")
    health = check_health(obj, "healthy")
    assert health["message"] == f"PingOne application ready, client ID {obj['status']['clientId']}"


def test_health_progressing_while_a_spec_change_waits_for_the_operator(kube, start_operator):
    operator = start_operator()
    kube.apply(application("shared-web-app"))
    wait_for(lambda: ready(kube, "shared-web-app"), what="Ready")
    operator.stop()
    kube.apply(application("shared-web-app", description="changed while the operator is down"))
    obj = kube.get("p1app", "shared-web-app")
    assert obj["metadata"]["generation"] == 2 and obj["status"]["observedGeneration"] == 1
    assert check_health(obj, "progressing-new-generation")["message"] == \
        "Waiting for the operator to apply generation 2"

    operator.restart()
    obj = wait_for(lambda: (o := ready(kube, "shared-web-app")) and o["status"]["observedGeneration"] == 2 and o,
                   what="generation 2 applied")
    assert run_health(obj)["status"] == "Healthy"


def test_health_progressing_while_deleting(kube, admin, start_operator):
    operator = start_operator()
    kube.apply(application("shared-web-app"))
    obj = wait_for(lambda: ready(kube, "shared-web-app"), what="Ready")
    operator.stop()
    kube.delete("p1app", "shared-web-app", wait=False)  # the finalizer holds it while the operator is down
    obj = kube.get("p1app", "shared-web-app")
    assert obj["metadata"].get("deletionTimestamp") and FINALIZER in obj["metadata"]["finalizers"]
    check_health(obj, "progressing-deleting")

    operator.restart()
    wait_for(lambda: kube.get("p1app", "shared-web-app") is None, what="deleted")
    assert admin.app(obj["status"]["applicationId"]) is None


def test_health_degraded_when_pingone_refuses_the_spec(kube, operator):
    bad_cors = {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://a.example.com/path"]}
    kube.apply(application("invalid-cors", corsSettings=bad_cors))
    obj = wait_for(reason_is(kube, "invalid-cors", "InvalidSpec"), what="InvalidSpec")
    # kstatus: observed (and failed), not "not seen yet": observedGeneration is set on failures too
    assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
    assert condition(obj, "Stalled")["status"] == "True"  # it needs a spec change
    health = check_health(obj, "degraded-invalid-spec")
    assert health["message"] == "InvalidSpec: " + condition(obj)["message"]
    assert "corsSettings.origins" in health["message"]


def test_health_degraded_on_a_secret_conflict(kube, control_plane, operator):
    control_plane.kubectl("create", "secret", "generic", "shared-web-app-oidc", "-n", kube.ns,
                          "--from-literal=owner=someone-else")
    kube.apply(application("shared-web-app"))
    obj = wait_for(reason_is(kube, "shared-web-app", "SecretConflict"), what="SecretConflict")
    assert check_health(obj, "degraded-secret-conflict")["message"].startswith("SecretConflict: Secret shared-web-app-oidc")


def test_health_degraded_on_a_name_conflict(simulator, kube, operator):
    _create_app_sync(simulator, SEED)
    kube.apply(application("shared-web-app"))
    obj = wait_for(reason_is(kube, "shared-web-app", "NameConflict"), what="NameConflict")
    check_health(obj, "degraded-name-conflict")


def test_health_degraded_when_the_operator_cannot_sign_in(kube, start_operator):
    start_operator(PINGONE_CLIENT_SECRET="not-the-worker-secret")
    kube.apply(application("shared-web-app"))
    obj = wait_for(reason_is(kube, "shared-web-app", "AuthenticationFailed"), what="AuthenticationFailed")
    check_health(obj, "degraded-authentication-failed")


def test_health_progressing_while_pingone_is_unavailable_then_healthy(kube, admin, operator):
    # The management API answers 503 (the token endpoint stays up: see the token outage test below).
    admin.faults(fail_next=[{"method": "*", "path_regex": "/applications", "status": 503, "count": 10000}])
    kube.apply(application("shared-web-app"))
    obj = wait_for(reason_is(kube, "shared-web-app", "PingOneUnavailable"), what="PingOneUnavailable")
    health = check_health(obj, "progressing-pingone-unavailable")
    assert health["message"].endswith("(the operator retries)")

    admin.faults(fail_next=[])
    obj = wait_for(lambda: ready(kube, "shared-web-app"), timeout=60, what="Ready after the outage")
    assert run_health(obj)["status"] == "Healthy"


def test_health_degraded_on_observe_only_drift(simulator, kube, operator):
    existing = _create_app_sync(simulator, SEED)
    kube.apply(application("watcher", adoptApplicationId=existing["id"], managementPolicy="ObserveOnly",
                           description="not what PingOne has"))
    obj = wait_for(reason_is(kube, "watcher", "Drifted", "Synced"), what="Synced=False Drifted")
    assert condition(obj)["status"] == "True"
    health = check_health(obj, "degraded-observe-only-drift")
    assert health["message"] == "Drifted: ObserveOnly: PingOne differs from spec in description"


def test_health_token_endpoint_outage_is_progressing_not_degraded(kube, admin, operator):
    admin.faults(token_outage=True)
    kube.apply(application("shared-web-app"))
    obj = wait_for(lambda: condition(o := kube.get("p1app", "shared-web-app")).get("status") == "False" and o,
                   what="Ready=False")
    assert condition(obj)["reason"] in ("PingOneUnavailable", "RateLimited"), condition(obj)
    assert run_health(obj)["status"] == "Progressing"


def test_health_suspended_when_paused(kube, admin, operator):
    """Paused from the start (no Ready condition ever) and paused after Ready: both Suspended."""
    kube.apply(application("paused-app", managementPolicy="Paused"))
    obj = wait_for(reason_is(kube, "paused-app", "Paused", "Synced"), what="Synced=False Paused")
    assert check_health(obj, "suspended-paused")["message"].startswith("Paused: ")
    assert admin.writes() == []  # Paused: no PingOne call

    kube.apply(application("shared-web-app"))
    wait_for(lambda: ready(kube, "shared-web-app"), what="Ready")
    kube.apply(application("shared-web-app", managementPolicy="Paused"))
    obj = wait_for(lambda: (o := reason_is(kube, "shared-web-app", "Paused", "Synced")())
                   and condition(o, "Synced").get("observedGeneration") == 2 and o, what="paused")
    check_health(obj, "suspended-paused-after-ready")


def connection(name: str, simulator, secret: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneConnection", "metadata": {"name": name},
            "spec": {"apiUrl": simulator.api_url, "authUrl": simulator.auth_url,
                     "environmentId": simulator.environment_id, "credentialsSecret": {"name": secret},
                     "allowedNamespaces": [namespace]}}


def test_connection_health(control_plane, simulator, namespace, crd, operator_factory):
    """Before the operator: Progressing; credentials that sign in: Healthy; a missing Secret or a
    wrong secret: Degraded (a person has to fix them)."""
    suffix = namespace[-6:]
    names = {state: f"conn-{state}-{suffix}" for state in ("ok", "missing", "wrong")}
    control_plane.kubectl("create", "secret", "generic", "worker", "-n", namespace,
                          f"--from-literal=client-id={simulator.client_id}",
                          f"--from-literal=client-secret={simulator.client_secret}")
    control_plane.kubectl("create", "secret", "generic", "wrong-worker", "-n", namespace,
                          f"--from-literal=client-id={simulator.client_id}", "--from-literal=client-secret=nope")
    secrets = {"ok": "worker", "missing": "no-such-secret", "wrong": "wrong-worker"}

    def get(state: str) -> dict[str, Any]:
        return json.loads(control_plane.kubectl("get", "p1conn", names[state], "-o", "json").stdout)

    try:
        for state, name in names.items():
            control_plane.kubectl("apply", "-f", "-", input=json.dumps(connection(name, simulator, secrets[state],
                                                                                  namespace)))
        check_health(get("ok"), "progressing-not-yet-verified", CONNECTION_DIR)
        operator_factory(extra_env={"OPERATOR_NAMESPACE": namespace}, args=["--namespace", namespace])
        obj = wait_for(lambda: condition(o := get("ok")).get("status") == "True" and o, what="connection Ready")
        check_health(obj, "healthy", CONNECTION_DIR)
        obj = wait_for(lambda: condition(o := get("missing")).get("reason") == "ConnectionInvalid" and o,
                       what="ConnectionInvalid")
        check_health(obj, "degraded-secret-missing", CONNECTION_DIR)
        obj = wait_for(lambda: condition(o := get("wrong")).get("reason") == "AuthenticationFailed" and o,
                       what="AuthenticationFailed")
        check_health(obj, "degraded-authentication-failed", CONNECTION_DIR)
    finally:
        control_plane.kubectl("delete", "p1conn", *names.values(), "--wait=false", check=False)


def _create_app_sync(simulator, body: dict[str, Any]) -> dict[str, Any]:
    import asyncio

    return asyncio.run(create_app(simulator, body))


# ----------------------------------------------------------------------------------------------
# No perpetual diff
# ----------------------------------------------------------------------------------------------

USER_LABELS = {"app.kubernetes.io/instance": "my-argo-app", "team": "identity"}


def gitops_resource(name: str, namespace: str) -> dict[str, Any]:
    """A resource as it would sit in Git under Argo CD (both tracking methods' markers)."""
    obj = application(name)
    obj["metadata"].update(
        namespace=namespace,
        labels=dict(USER_LABELS),
        annotations={
            "argocd.argoproj.io/tracking-id": f"my-argo-app:pingone-operator.dev/PingOneApplication:{namespace}/{name}",
            "argocd.argoproj.io/sync-wave": "5",
            "example.com/owner": "team-identity",
        },
    )
    return obj


def assert_nothing_of_the_users_changed(live: dict[str, Any], applied: dict[str, Any]) -> None:
    assert live["spec"] == applied["spec"]
    for key in ("labels", "annotations"):
        mine = applied["metadata"][key]
        assert {k: v for k, v in (live["metadata"].get(key) or {}).items() if k in mine} == mine, key


def assert_expected_live_only_metadata(live: dict[str, Any], applied: dict[str, Any]) -> None:
    """The operator adds only its finalizer; kopf's bookkeeping is in status (docs/gitops.md)."""
    meta = live["metadata"]
    assert meta.get("finalizers") == [FINALIZER]
    extra_labels = set(meta.get("labels") or {}) - set(applied["metadata"]["labels"])
    assert extra_labels == set()
    extra = set(meta.get("annotations") or {}) - set(applied["metadata"]["annotations"])
    extra.discard("kubectl.kubernetes.io/last-applied-configuration")
    assert extra == set(), extra
    assert DIFFBASE in ((live.get("status") or {}).get("kopf") or {}), "expected kopf's diff base in status"


def spec_field_managers(kube: Kube, name: str) -> set[str]:
    """Field managers that own anything under spec."""
    live = json.loads(kube.cp.kubectl("get", "p1app", name, "-n", kube.ns, "-o", "json",
                                      "--show-managed-fields").stdout)
    return {m["manager"] for m in live["metadata"].get("managedFields") or []
            if "f:spec" in (m.get("fieldsV1") or {})}


def assert_secret_does_not_copy_the_resources_metadata(kube: Kube, name: str) -> None:
    secret = kube.get("secret", f"{name}-oidc")
    labels = secret["metadata"].get("labels") or {}
    annotations = secret["metadata"].get("annotations") or {}
    assert "app.kubernetes.io/instance" not in labels and "team" not in labels, labels
    assert labels.get("app.kubernetes.io/managed-by") == "pingone-operator"
    assert not [a for a in annotations if a.startswith("argocd.argoproj.io/")], annotations


def test_server_side_apply_twice_is_a_no_op_and_the_operator_owns_no_spec_field(kube, admin, operator):
    name = "ssa-app"
    obj = gitops_resource(name, kube.ns)
    manifest = json.dumps(obj)
    ssa = ("apply", "--server-side", f"--field-manager={ARGO_MANAGER}", "-f", "-")
    first = kube.cp.kubectl(*ssa, input=manifest)
    assert "serverside-applied" in first.stdout
    wait_for(lambda: ready(kube, name), what="Ready")
    time.sleep(2 * float(DRIFT))  # a couple of drift checks: steady state writes nothing of the user's
    before = kube.get("p1app", name)

    second = kube.cp.kubectl(*ssa, input=manifest)  # no --force-conflicts: a conflict would fail it
    assert second.returncode == 0 and "serverside-applied" in second.stdout and "conflict" not in second.stderr.lower()
    after = kube.get("p1app", name)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"], "the re-apply wrote"
    diff = kube.cp.kubectl("diff", "--server-side", f"--field-manager={ARGO_MANAGER}", "-f", "-",
                           input=manifest, check=False)
    assert diff.returncode == 0, diff.stdout + diff.stderr

    assert_nothing_of_the_users_changed(after, obj)
    assert_expected_live_only_metadata(after, obj)
    assert spec_field_managers(kube, name) == {ARGO_MANAGER}
    assert_secret_does_not_copy_the_resources_metadata(kube, name)
    assert admin.writes() and all(w["method"] == "POST" for w in admin.writes())  # created once, never PUT


def test_client_side_apply_twice_is_unchanged(kube, admin, operator):
    name = "csa-app"
    obj = gitops_resource(name, kube.ns)
    manifest = json.dumps(obj)
    first = kube.cp.kubectl("apply", "-f", "-", input=manifest)
    assert re.search(rf"pingoneapplication\S*/{name} created", first.stdout), first.stdout
    wait_for(lambda: ready(kube, name), what="Ready")
    time.sleep(2 * float(DRIFT))
    before = kube.get("p1app", name)

    second = kube.cp.kubectl("apply", "-f", "-", input=manifest)
    assert re.search(rf"pingoneapplication\S*/{name} unchanged", second.stdout), second.stdout
    after = kube.get("p1app", name)
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    for args in (("diff", "-f", "-"), ("diff", "--server-side", "--field-manager=kubectl-client-side-apply", "-f", "-")):
        diff = kube.cp.kubectl(*args, input=manifest, check=False)
        assert diff.returncode == 0, (args, diff.stdout + diff.stderr)

    assert_nothing_of_the_users_changed(after, obj)
    assert_expected_live_only_metadata(after, obj)
    assert spec_field_managers(kube, name) <= {"kubectl-client-side-apply", "kubectl"}
    assert_secret_does_not_copy_the_resources_metadata(kube, name)
    assert [w["method"] for w in admin.writes()] == ["POST"]


def test_metadata_only_change_from_git_is_not_a_sync(kube, admin, operator):
    """Argo CD changing its tracking annotation (app rename, tracking-method migration) or a label
    edit in Git must not make the operator write to PingOne or to the spec."""
    name = "relabel"
    obj = gitops_resource(name, kube.ns)
    ssa = ("apply", "--server-side", f"--field-manager={ARGO_MANAGER}", "-f", "-")
    kube.cp.kubectl(*ssa, input=json.dumps(obj))
    wait_for(lambda: ready(kube, name), what="Ready")
    admin.clear_requests()
    obj["metadata"]["labels"]["app.kubernetes.io/instance"] = "renamed-argo-app"
    obj["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = "renamed-argo-app:x"
    kube.cp.kubectl(*ssa, input=json.dumps(obj))
    time.sleep(2 * float(DRIFT))
    assert admin.writes() == []
    live = kube.get("p1app", name)
    assert_nothing_of_the_users_changed(live, obj)
    assert live["metadata"]["generation"] == 1
    assert_secret_does_not_copy_the_resources_metadata(kube, name)


# ----------------------------------------------------------------------------------------------
# Found while capturing the testdata
# ----------------------------------------------------------------------------------------------

def test_a_refused_create_leaves_no_create_intent_behind(simulator, kube, admin, operator):
    bad_cors = {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://a.example.com/path"]}
    kube.apply(application("refused", corsSettings=bad_cors))
    obj = wait_for(reason_is(kube, "refused", "InvalidSpec"), what="InvalidSpec")
    stranger = _create_app_sync(simulator, SEED)  # someone else takes the name meanwhile
    kube.apply(application("refused"))  # the fix
    obj = wait_for(lambda: (o := kube.get("p1app", "refused")) and condition(o).get("observedGeneration") == 2
                   and o, what="generation 2 handled")
    assert obj["status"].get("applicationId") != stranger["id"], "adopted an application it did not create"
    assert condition(obj)["reason"] == "NameConflict"
