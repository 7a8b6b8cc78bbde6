"""Features for many teams: secret rotation with overlap, policies, adoption, resync, metrics."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.helpers import SEED, application, condition, ready, wait_for
from tests.e2e.conftest import DRIFT
from tests.e2e.helpers import secret_data

pytestmark = pytest.mark.e2e

WORKER = {
    "name": "Rotating-Worker", "enabled": True, "type": "WORKER", "protocol": "OPENID_CONNECT",
    "grantTypes": ["CLIENT_CREDENTIALS"], "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
}


def token_status(simulator, client_id: str, secret: str) -> int:
    url = f"{simulator.auth_url}/{simulator.environment_id}/as/token"
    response = httpx.post(url, data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=10)
    return response.status_code


def test_rotation_keeps_the_old_secret_working_through_the_overlap(simulator, kube, admin, operator):
    kube.apply(application("rotating", WORKER, secretRotation={"trigger": "v1", "overlapSeconds": 120}))
    obj = wait_for(lambda: ready(kube, "rotating"), what="Ready")
    client_id = obj["status"]["clientId"]
    old = secret_data(kube, "rotating-oidc")["client-secret"]
    assert token_status(simulator, client_id, old) == 200
    assert "previous-client-secret" not in secret_data(kube, "rotating-oidc")  # v1 is the baseline

    kube.apply(application("rotating", WORKER, secretRotation={"trigger": "v2", "overlapSeconds": 120}))
    data = wait_for(lambda: (d := secret_data(kube, "rotating-oidc"))["client-secret"] != old and d,
                    what="rotated secret in the Secret")
    new = data["client-secret"]
    assert data["previous-client-secret"] == old
    assert token_status(simulator, client_id, new) == 200  # the new one works at once
    assert token_status(simulator, client_id, old) == 200  # the old one still works in the overlap
    status = kube.get("p1app", "rotating")["status"]["secretRotation"]
    assert status["trigger"] == "v2" and status["previousExpiresAt"] and status["lastRotatedAt"]
    assert "SecretRotated" in kube.event_reasons("rotating")
    assert admin.secret(obj["status"]["applicationId"])["secret"] == new
    metrics = httpx.get(operator.metrics_url, timeout=10).text
    labels = f'{{name="rotating",namespace="{kube.ns}"}}'
    assert f"pingone_operator_secret_rotation_timestamp_seconds{labels}" in metrics
    assert f"pingone_operator_previous_secret_expiry_timestamp_seconds{labels}" in metrics

    admin.http.post("/clock/advance", json={"seconds": 121}).raise_for_status()
    assert token_status(simulator, client_id, old) == 401  # the overlap is over
    assert token_status(simulator, client_id, new) == 200

    time.sleep(2 * float(DRIFT))  # drift ticks: the same trigger never rotates again
    rotations = [r for r in admin.requests("POST", "/secret")]
    assert len(rotations) == 1


def test_paused_makes_no_pingone_call_and_keeps_the_application_on_delete(kube, admin, operator):
    kube.apply(application("pausable"))
    obj = wait_for(lambda: ready(kube, "pausable"), what="Ready")
    app_id = obj["status"]["applicationId"]
    kube.apply(application("pausable", managementPolicy="Paused", description="not sent while paused"))
    wait_for(lambda: condition(kube.get("p1app", "pausable"), "Synced").get("reason") == "Paused", what="Paused")
    admin.clear_requests()
    admin.patch_app(app_id, {"enabled": False})
    time.sleep(2 * float(DRIFT))
    assert admin.requests() == []
    kube.delete("p1app", "pausable", wait=True)
    assert admin.app(app_id)["enabled"] is False  # untouched, and not deleted


def test_adoption_never_takes_over_an_application_another_resource_manages(kube, admin, operator):
    kube.apply(application("first"))
    first = wait_for(lambda: ready(kube, "first"), what="first Ready")
    app_id = first["status"]["applicationId"]
    admin.clear_requests()
    kube.apply(application("second", adoptApplicationId=app_id))
    obj = wait_for(lambda: condition(kube.get("p1app", "second")).get("reason") == "AdoptionConflict"
                   and kube.get("p1app", "second"), what="AdoptionConflict")
    assert "first" in condition(obj)["message"]
    assert admin.writes() == []


def test_resync_annotation_runs_a_drift_check_at_once(simulator, kube, admin, start_operator):
    start_operator(DRIFT_INTERVAL_SECONDS="3600")  # the timer would not come in time
    kube.apply(application("resync"))
    obj = wait_for(lambda: ready(kube, "resync"), what="Ready")
    app_id = obj["status"]["applicationId"]
    admin.patch_app(app_id, {"description": "changed in the console"})
    kube.cp.kubectl("annotate", "p1app", "resync", "-n", kube.ns, "ops.pingone-operator.dev/resync=now", "--overwrite")
    wait_for(lambda: admin.app(app_id)["description"] == SEED["description"], timeout=20, what="drift corrected")
    assert {"Resynced", "DriftCorrected"} <= set(kube.event_reasons("resync"))


def test_metrics_count_reconciles_pingone_requests_and_ready_resources(simulator, kube, admin, operator):
    kube.apply(application("measured"))
    wait_for(lambda: ready(kube, "measured"), what="Ready")
    obj = kube.get("p1app", "measured")
    admin.patch_app(obj["status"]["applicationId"], {"enabled": False})
    wait_for(lambda: "DriftCorrected" in kube.event_reasons("measured"), timeout=30, what="drift corrected")

    text = httpx.get(operator.metrics_url, timeout=10).text
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            samples[key] = float(value)
    assert samples['pingone_operator_reconciles_total{result="ok",trigger="change"}'] >= 1
    assert samples['pingone_operator_pingone_requests_total{method="POST",status="201"}'] == 1
    assert samples['pingone_operator_pingone_requests_total{method="GET",status="200"}'] >= 2
    assert samples[f'pingone_operator_resource_ready{{name="measured",namespace="{kube.ns}"}}'] == 1
    assert samples["pingone_operator_drift_corrections_total"] >= 1
    assert samples['pingone_operator_pingone_request_duration_seconds_count{method="PUT"}'] >= 1
    assert "pingone_operator_rate_limit_waits_total" in samples
