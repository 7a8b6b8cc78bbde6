"""The operator end to end: a real API server, the operator as a subprocess, the PingOne simulator."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from tests.e2e.conftest import DRIFT
from tests.e2e.helpers import (
    SEED, application, condition, create_app, parse_ts, ready, record_create_intent, secret_data, wait_for,
)

pytestmark = pytest.mark.e2e

def test_seed_application_becomes_ready_with_pingone_ids_and_credentials(kube, admin, operator):
    kube.apply(application("shared-web-app"))
    obj = wait_for(lambda: ready(kube, "shared-web-app"), what="Ready=True")
    status = obj["status"]
    app = admin.app(status["applicationId"])
    assert app is not None and app["name"] == SEED["name"]
    assert status["clientId"] == app["clientId"]
    assert status["updatedAt"] == app["updatedAt"]
    assert status["environmentId"] == admin.env
    assert status["observedGeneration"] == obj["metadata"]["generation"]
    assert condition(obj, "Synced")["status"] == "True"
    posts = admin.requests("POST", path_contains="/applications")
    assert len([p for p in posts if p["path"].endswith("/applications")]) == 1
    for key, value in SEED.items():
        assert app[key] == value, key

    secret = secret_data(kube, "shared-web-app-oidc")
    assert secret["client-id"] == app["clientId"]
    assert secret["client-secret"] == admin.secret(app["id"])["secret"]
    assert secret["token-endpoint-auth-method"] == "CLIENT_SECRET_JWT"
    assert secret["token-endpoint"].endswith(f"/{admin.env}/as/token")
    owner = kube.get("secret", "shared-web-app-oidc")["metadata"]["ownerReferences"][0]
    assert owner["kind"] == "PingOneApplication" and owner["uid"] == obj["metadata"]["uid"]
    assert "Created" in kube.event_reasons("shared-web-app")
    created = next(e for e in kube.events("shared-web-app") if e["reason"] == "Created")
    assert "shared-web-app-oidc" in created["message"]


def test_seed_case_update_puts_every_seed_field_and_records_clientid_and_updatedat(simulator, kube, admin, operator):
    """The reference case: an existing web app is switched to CLIENT_SECRET_JWT by a PUT of the seed body."""
    existing = asyncio.run(create_app(simulator, {
        **SEED, "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC", "description": "before",
    }))
    admin.clear_requests()
    kube.apply(application("seed", adoptApplicationId=existing["id"]))
    obj = wait_for(lambda: ready(kube, "seed"), what="Ready=True")
    puts = admin.requests("PUT")
    assert len(puts) == 1
    body = puts[0]["body"]
    for key, value in SEED.items():
        assert body[key] == value, key
    app = admin.app(existing["id"])
    assert obj["status"]["clientId"] == app["clientId"] == existing["id"]
    assert obj["status"]["updatedAt"] == app["updatedAt"] != existing["updatedAt"]
    assert app["tokenEndpointAuthMethod"] == "CLIENT_SECRET_JWT"
    assert secret_data(kube, "seed-oidc")["client-secret"] == admin.secret(existing["id"])["secret"]


def test_spec_edit_is_one_put_and_metadata_churn_is_free(kube, admin, operator):
    kube.apply(application("edit"))
    first = wait_for(lambda: ready(kube, "edit"), what="Ready")
    admin.clear_requests()

    kube.apply(application("edit", description="changed"))
    changed = wait_for(
        lambda: (o := kube.get("p1app", "edit")) and o["status"].get("observedGeneration") == 2 and o,
        what="generation 2 applied",
    )
    assert [w["method"] for w in admin.writes()] == ["PUT"]
    assert admin.writes()[0]["body"]["description"] == "changed"
    assert changed["status"]["updatedAt"] != first["status"]["updatedAt"]
    assert changed["status"]["updatedAt"] == admin.app(first["status"]["applicationId"])["updatedAt"]

    admin.clear_requests()
    resource_version = kube.get("p1app", "edit")["metadata"]["resourceVersion"]
    kube.apply(application("edit", description="changed"))  # unchanged re-apply
    obj = application("edit", description="changed")
    obj["metadata"]["labels"] = {"team": "a"}
    obj["metadata"]["annotations"] = {"argocd.argoproj.io/tracking-id": "x"}
    kube.apply(obj)
    operator.wait_for_log(re.compile(r"not interested|Handler .*sync.* succeeded|Handling cycle is finished"), timeout=20)
    time.sleep(2 * float(DRIFT))  # a couple of drift ticks as well
    assert admin.writes() == []
    assert kube.get("p1app", "edit")["status"] == kube.get("p1app", "edit")["status"]
    assert resource_version != kube.get("p1app", "edit")["metadata"]["resourceVersion"]  # our apply did land


def test_drift_behind_the_operators_back_is_corrected_and_reported(kube, admin, operator):
    kube.apply(application("drift"))
    obj = wait_for(lambda: ready(kube, "drift"), what="Ready")
    app_id = obj["status"]["applicationId"]
    admin.patch_app(app_id, {"enabled": False, "redirectUris": ["https://evil.example.com/cb"]})
    wait_for(lambda: (a := admin.app(app_id))["enabled"] is True and a["redirectUris"] == SEED["redirectUris"],
             timeout=30, what="drift corrected")
    wait_for(lambda: "DriftCorrected" in kube.event_reasons("drift"), timeout=10, what="DriftCorrected event")
    message = next(e["message"] for e in kube.events("drift") if e["reason"] == "DriftCorrected")
    assert "enabled" in message and "redirectUris" in message
    wait_for(lambda: kube.get("p1app", "drift")["status"]["updatedAt"] == admin.app(app_id)["updatedAt"],
             what="status.updatedAt follows the correcting PUT")


def test_observe_only_reports_drift_and_never_writes(simulator, kube, admin, operator):
    existing = asyncio.run(create_app(simulator, SEED))
    admin.clear_requests()
    kube.apply(application("watcher", adoptApplicationId=existing["id"], managementPolicy="ObserveOnly",
                           description="not what PingOne has"))
    obj = wait_for(lambda: condition(kube.get("p1app", "watcher"), "Synced").get("reason") == "Drifted"
                   and kube.get("p1app", "watcher"), what="Synced=False Drifted")
    assert obj["status"]["driftedFields"] == ["description"]
    time.sleep(float(DRIFT))
    assert admin.writes() == []
    kube.delete("p1app", "watcher", wait=True)
    assert admin.app(existing["id"]) is not None  # ObserveOnly never deletes


def test_secret_deleted_by_someone_is_recreated(kube, admin, operator):
    kube.apply(application("keep-secret"))
    wait_for(lambda: ready(kube, "keep-secret"), what="Ready")
    before = secret_data(kube, "keep-secret-oidc")
    kube.delete("secret", "keep-secret-oidc", wait=True)
    wait_for(lambda: secret_data(kube, "keep-secret-oidc"), timeout=30, what="Secret re-created")
    assert secret_data(kube, "keep-secret-oidc") == before


def test_secret_name_owned_by_someone_else_is_a_conflict(kube, control_plane, operator):
    control_plane.kubectl("create", "secret", "generic", "taken", "-n", kube.ns, "--from-literal=keep=me")
    kube.apply(application("conflict", secretName="taken", name="Conflict-App"))
    obj = wait_for(lambda: condition(kube.get("p1app", "conflict")).get("reason") == "SecretConflict"
                   and kube.get("p1app", "conflict"), what="SecretConflict")
    assert "not owned" in condition(obj)["message"]
    assert secret_data(kube, "taken") == {"keep": "me"}


def test_pingone_validation_error_shows_pingones_words_is_not_retried_and_recovers(kube, admin, operator):
    bad_cors = {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://app.example.com/has/a/path"]}
    kube.apply(application("invalid", corsSettings=bad_cors, name="Invalid-App"))
    obj = wait_for(lambda: condition(kube.get("p1app", "invalid")).get("reason") == "InvalidSpec"
                   and kube.get("p1app", "invalid"), what="Ready=False InvalidSpec")
    message = condition(obj)["message"]
    assert "corsSettings.origins" in message and "without a path" in message
    assert "InvalidSpec" in kube.event_reasons("invalid")
    attempts = len(admin.requests("POST"))
    time.sleep(3 * float(DRIFT))
    assert len(admin.requests("POST")) == attempts == 1  # no hot loop: waits for a spec change

    kube.apply(application("invalid", name="Invalid-App",
                           corsSettings={"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://app.example.com"]}))
    wait_for(lambda: ready(kube, "invalid"), what="recovered after the fix")


def test_a_429_that_outlasts_the_retries_shows_rate_limited_and_recovers(kube, admin, operator):
    """A call tries 5 times, pausing for Retry-After (1 s here) after each 429; refused every time,
    the resource shows RateLimited (condition and Event) and is tried again until PingOne lets it in."""
    refused = 10  # two syncs' worth: the condition stands for one whole sync, seconds, not a blink
    admin.fail_next(count=refused, status=429, method="POST", path_regex="/applications$")
    kube.apply(application("limited"))
    obj = wait_for(lambda: condition(kube.get("p1app", "limited")).get("reason") == "RateLimited"
                   and kube.get("p1app", "limited"), what="Ready=False RateLimited")
    assert condition(obj)["status"] == "False" and "PingOne 429" in condition(obj)["message"], condition(obj)
    wait_for(lambda: ready(kube, "limited"), what="Ready after the 429s")
    assert kube.event_reasons("limited").count("RateLimited") == refused // 5

    posts = [p for p in admin.requests("POST") if p["path"].endswith("/applications")]
    assert [p["status"] for p in posts] == [429] * refused + [201]
    stamps = [parse_ts(p["timestamp"]) for p in posts]
    gaps = [later - earlier for earlier, later in zip(stamps, stamps[1:])]
    # Retry-After is 1 s; the log's stamps are to the millisecond. Without the pause: 1-3 ms apart.
    assert min(gaps) >= 0.99, f"a POST was sent again before Retry-After: {gaps}"


@pytest.mark.parametrize("policy, kept", [("Delete", False), ("Orphan", True)])
def test_deletion_policy(kube, admin, operator, policy, kept):
    kube.apply(application("bye", deletionPolicy=policy))
    obj = wait_for(lambda: ready(kube, "bye"), what="Ready")
    app_id = obj["status"]["applicationId"]
    kube.delete("p1app", "bye", wait=True)
    assert kube.get("p1app", "bye") is None
    assert (admin.app(app_id) is not None) is kept
    wait_for(lambda: kube.get("secret", "bye-oidc") is None, timeout=90, what="Secret garbage-collected (the collector learns a new CRD within ~30 s)")


def test_crash_between_post_and_status_write_leaves_one_application(control_plane, simulator, kube, admin,
                                                                   start_operator):
    """The state a crash leaves: the create intent recorded, the application created, no id in status."""
    kube.apply(application("crashy"))
    record_create_intent(kube, "crashy", SEED["name"], admin.env)
    created = asyncio.run(create_app(simulator, SEED))  # the POST that landed before the crash
    start_operator()
    obj = wait_for(lambda: ready(kube, "crashy"), what="Ready after recovery")
    assert obj["status"]["applicationId"] == created["id"]
    assert "pendingCreate" not in obj["status"] or obj["status"]["pendingCreate"] is None
    assert [a["id"] for a in admin.apps() if a["name"] == SEED["name"]] == [created["id"]]
    assert "Recovered" in kube.event_reasons("crashy")


def test_name_used_by_an_application_we_did_not_create_is_a_conflict(simulator, kube, admin, operator):
    stranger = asyncio.run(create_app(simulator, SEED))
    kube.apply(application("late"))
    obj = wait_for(lambda: condition(kube.get("p1app", "late")).get("reason") == "NameConflict"
                   and kube.get("p1app", "late"), what="NameConflict")
    assert stranger["id"] in condition(obj)["message"]
    assert [a["id"] for a in admin.apps() if a["name"] == SEED["name"]] == [stranger["id"]]


def test_operator_logs_never_contain_secrets_or_tokens(simulator, kube, admin, operator):
    kube.apply(application("quiet"))
    obj = wait_for(lambda: ready(kube, "quiet"), what="Ready")
    time.sleep(float(DRIFT) + 1)  # at least one drift tick at DEBUG level
    logs = operator.logs()
    app_secret = admin.secret(obj["status"]["applicationId"])["secret"]
    assert len(logs) > 1000
    for secret in (simulator.client_secret, app_secret):
        assert secret not in logs
    assert "Bearer " not in logs and "client_assertion" not in logs
    assert not re.search(r"eyJ[\w-]{10,}\.[\w-]{10,}\.", logs), "a JWT appears in the operator log"
    for event in kube.events("quiet"):
        assert app_secret not in event["message"]
    assert app_secret not in str(kube.get("p1app", "quiet"))


def test_a_resource_re_created_under_the_same_name_takes_over_its_secret(control_plane, kube, admin, operator):
    """GitOps delete-and-recreate before garbage collection has run: the old Secret, still owned by
    the old uid, is taken over by the new resource (one controller reference), not refused."""
    kcm = getattr(control_plane, "controller_manager", None)
    if kcm is None:
        pytest.skip("needs the embedded control plane (stops its garbage collector for a moment)")
    kube.apply(application("again", deletionPolicy="Orphan"))
    first = wait_for(lambda: ready(kube, "again"), what="Ready")
    kcm.stop()  # a slow garbage collector: the Secret outlives its owner
    try:
        kube.delete("p1app", "again", wait=True)
        assert kube.get("secret", "again-oidc")["metadata"]["ownerReferences"][0]["uid"] == first["metadata"]["uid"]
        kube.apply(application("again", adoptApplicationId=first["status"]["applicationId"]))
        second = wait_for(lambda: ready(kube, "again"), what="Ready again")
        owners = kube.get("secret", "again-oidc")["metadata"]["ownerReferences"]
        assert [o["uid"] for o in owners] == [second["metadata"]["uid"]]
    finally:
        kcm.start()
