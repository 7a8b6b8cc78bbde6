"""The plan's decisions, with plain data: no PingOne, no Kubernetes, no I/O."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pingone_operator.api import PendingCreate, PingOneApplicationSpec, PingOneApplicationStatus, SecretRotation
from pingone_operator.api import SecretRotationStatus
from pingone_operator.pingone.errors import (
    AuthenticationFailed, MalformedResponse, PermissionDenied, RateLimited, ServerError, TokenRequestFailed,
    ValidationFailed,
)
from pingone_operator.plan import access, identity, rotation, secret, sync
from pingone_operator.plan.failures import classify
from pingone_operator.plan.outcome import Event, Failure, Outcome, Resource
from pingone_operator.ports import KubernetesUnavailable, SecretConflict, SecretStoreFailed

SEED = json.loads((Path(__file__).parents[3] / "shared/reference/seed-request.json").read_text())
ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
NOW = datetime.now(timezone.utc)


def resource(status=None, **fields) -> Resource:
    spec = PingOneApplicationSpec.model_validate({**SEED, **fields})
    return Resource("team-a", "web", "uid-1", 3, spec, PingOneApplicationStatus.model_validate(status or {}))


def app(**fields):
    return {**SEED, "id": "app-1", "clientId": "app-1", "createdAt": rotation.format_time(NOW), "updatedAt": "u",
            **fields}


# --- identity ----------------------------------------------------------------------------------

def test_the_environment_used_is_the_specs_then_the_recorded_then_the_connections():
    assert identity.environment_of(resource(environmentId="11111111-1111-1111-1111-111111111111"), ENV) == \
        "11111111-1111-1111-1111-111111111111"
    assert identity.environment_of(resource({"environmentId": "recorded"}), ENV) == "recorded"
    assert identity.environment_of(resource(), ENV) == ENV


def test_what_to_read_first_a_recorded_id_then_an_adopted_one_then_nothing():
    assert identity.id_to_read(resource({"applicationId": "known"}, adoptApplicationId=ENV)) == "known"
    assert identity.id_to_read(resource(adoptApplicationId=ENV)) == ENV
    assert identity.id_to_read(resource()) is None


def test_a_missing_application_fails_an_adoption_and_is_forgotten_when_it_was_ours():
    assert identity.missing(resource(adoptApplicationId=ENV), ENV, ENV).reason == "AdoptionFailed"
    gone = identity.missing(resource({"applicationId": "a"}), "a", ENV)
    assert isinstance(gone, Event) and gone.reason == "ApplicationMissing"


@pytest.mark.parametrize("policy, expected", [("Manage", PendingCreate), ("ObserveOnly", Failure)])
def test_observe_only_never_creates(policy, expected):
    assert isinstance(identity.create_intent(resource(managementPolicy=policy), ENV), expected)


def test_a_name_taken_is_ours_only_by_an_intent_made_around_its_creation():
    intent = {"name": SEED["name"], "environmentId": ENV, "startedAt": rotation.format_time(NOW)}
    assert identity.same_name(resource({"pendingCreate": intent}), app(), ENV).reason == "Recovered"
    late = app(createdAt=rotation.format_time(NOW + timedelta(hours=1)))
    assert identity.same_name(resource({"pendingCreate": intent}), late, ENV).reason == "NameConflict"
    assert identity.same_name(resource(), app(), ENV).reason == "NameConflict"
    assert identity.same_name(resource({"pendingCreate": {**intent, "environmentId": "x"}}), app(), ENV).reason \
        == "NameConflict"


def test_the_name_is_looked_up_before_a_create_only_where_it_may_exist_already():
    intent = {"name": SEED["name"], "environmentId": ENV, "startedAt": rotation.format_time(NOW)}
    conflict = [{"type": "Ready", "status": "False", "reason": "NameConflict", "message": "taken",
                 "lastTransitionTime": "2026-12-01T00:00:00Z"}]
    other = [{**conflict[0], "reason": "PingOneUnavailable"}]
    assert not identity.may_exist(resource())  # PingOne's unique names guard the POST
    assert not identity.may_exist(resource({"conditions": other}))
    assert identity.may_exist(resource({"pendingCreate": intent}))  # an interrupted create
    assert identity.may_exist(resource(managementPolicy="ObserveOnly"))
    assert identity.may_exist(resource({"conditions": conflict}))  # no second POST into a refusal


def test_a_refused_create_names_the_name_taken_in_either_shape():
    from pingone_operator.pingone.errors import Conflict, ErrorDetail
    unique = ErrorDetail("UNIQUENESS_VIOLATION", "name", "name must be unique", {})
    assert identity.name_taken(ValidationFailed("invalid", status=400, code="INVALID_DATA", details=(unique,)))
    assert identity.name_taken(Conflict("conflict", status=409, code="CONFLICT"))
    other = ErrorDetail("INVALID_VALUE", "redirectUris", "bad", {})
    assert not identity.name_taken(ValidationFailed("invalid", status=400, code="INVALID_DATA", details=(other,)))
    assert not identity.name_taken(ServerError("boom", status=503, code="UNEXPECTED_ERROR"))


def test_the_worker_application_is_protected_by_id_and_client_id():
    assert identity.protects("w", app(id="w")).reason == "ProtectedApplication"
    assert identity.protects("w", app(clientId="w")).reason == "ProtectedApplication"
    assert identity.protects("w", app()) is None and identity.protects("", app()) is None


# --- policy x state ----------------------------------------------------------------------------

def test_manage_puts_what_differs_and_observe_only_reports_it_once():
    drifted = app(description="changed")
    change = sync.update(resource(), drifted, drift_check=True)
    assert change.drifted == ["description"] and change.body["description"] == SEED["description"]
    assert change.event.reason == "DriftCorrected"
    assert sync.update(resource(), drifted, drift_check=False).event.reason == "Updated"
    watching = sync.update(resource(managementPolicy="ObserveOnly"), drifted, drift_check=True)
    assert watching.body is None and watching.event.reason == "DriftDetected"
    told = resource({"driftedFields": ["description"]}, managementPolicy="ObserveOnly")
    assert sync.update(told, drifted, drift_check=True).event is None  # once, not every tick
    assert sync.update(resource(), app(), drift_check=True) == sync.Update([], None, None)


@pytest.mark.parametrize("status, fields, needs_pingone, reason", [
    ({}, {}, False, "Deleted"),  # nothing was ever created
    ({"applicationId": "a"}, {"managementPolicy": "ObserveOnly"}, False, "Orphaned"),
    ({"applicationId": "a"}, {"managementPolicy": "Paused"}, False, "Orphaned"),
    ({"applicationId": "a"}, {"deletionPolicy": "Orphan"}, False, "Orphaned"),
    ({"applicationId": "a"}, {"adoptApplicationId": ENV}, False, "Orphaned"),  # adopted: kept by default
    ({"applicationId": "a"}, {"adoptApplicationId": ENV, "deletionPolicy": "Delete"}, True, None),
    ({"applicationId": "a"}, {}, True, None),
])
def test_deletion_by_policy_and_state(status, fields, needs_pingone, reason):
    outcome = sync.deletion_without_pingone(resource(status, **fields))
    assert (outcome is None) is needs_pingone
    if outcome:
        assert [e.reason for e in outcome.events] == [reason]


def test_paused_and_refused_outcomes():
    paused = {c.type: (c.status, c.reason) for c in sync.paused(resource()).status.conditions}
    assert paused["Synced"] == ("False", "Paused") and paused["Reconciling"][0] == paused["Stalled"][0] == "False"
    refused = sync.refused(resource(), Failure("ConnectionDenied", "no", retry=True))
    assert {c.type: c.status for c in refused.status.conditions} == {
        "Ready": "False", "Synced": "False", "Reconciling": "True", "Stalled": "False"}  # kstatus: InProgress
    assert refused.status.observedGeneration == 3  # observed, and failed
    assert refused.events[-1].reason == "ConnectionDenied"
    stalled = sync.refused(resource(), Failure("InvalidSpec", "no", retry=False))
    assert {c.type: c.status for c in stalled.status.conditions}["Stalled"] == "True"  # kstatus: Failed


def test_a_synced_status_records_identity_declared_fields_and_conditions():
    status = sync.synced(resource(), PingOneApplicationStatus(), app(), ENV, [])
    assert (status.applicationId, status.environmentId, status.observedGeneration) == ("app-1", ENV, 3)
    assert "description" in status.managedFields and "pkceEnforcement" not in status.managedFields
    assert {c.type: c.status for c in status.conditions} == {
        "Ready": "True", "Synced": "True", "Reconciling": "False", "Stalled": "False"}
    assert sync.status_patch(status, status) == {}
    watching = sync.synced(resource(managementPolicy="ObserveOnly"), PingOneApplicationStatus(), app(), ENV, ["x"])
    assert watching.driftedFields == ["x"] and watching.managedFields is None


def test_the_default_secret_keys_and_the_discovery_url():
    values = secret.variables(resource(), app(), ENV, "https://auth", {"secret": "s", "previous": {"secret": "p"}})
    data = secret.render(resource(), values)
    assert data["client-secret"] == "s" and data["previous-client-secret"] == "p" and data["client-id"] == "app-1"
    assert data["discovery-url"] == f"https://auth/{ENV}/as/.well-known/openid-configuration"
    public = resource(tokenEndpointAuthMethod="NONE")
    data = secret.render(public, secret.variables(public, app(tokenEndpointAuthMethod="NONE"), ENV, "https://a", None))
    assert "client-secret" not in data and data["token-endpoint"] == f"https://a/{ENV}/as/token"


def test_a_secret_template_renames_keys_adds_constants_and_is_read_back_between_checks():
    shaped = resource(secretTemplate={"data": {"OAUTH2_PROXY_CLIENT_ID": "{{clientId}}",
                                               "OAUTH2_PROXY_CLIENT_SECRET": "{{clientSecret}}",
                                               "OAUTH2_PROXY_OIDC_ISSUER_URL": "{{issuer}}",
                                               "OLD": "{{previousClientSecret}}", "PROVIDER": "oidc"},
                                      "labels": {"team": "a"}},
                      grants=[{"resource": "openid", "scopes": ["openid", "email"]}])
    values = secret.variables(shaped, app(), ENV, "https://auth", {"secret": "s"})
    data = secret.render(shaped, values)
    assert data == {"OAUTH2_PROXY_CLIENT_ID": "app-1", "OAUTH2_PROXY_CLIENT_SECRET": "s",
                    "OAUTH2_PROXY_OIDC_ISSUER_URL": f"https://auth/{ENV}/as", "PROVIDER": "oidc"}  # no overlap: no OLD
    assert values["scopes"] == "openid email"
    assert secret.kept_secret(shaped, data) == {"secret": "s"}
    assert secret.metadata(shaped) == ({"team": "a"}, {})
    embedded = resource(secretTemplate={"data": {"URL": "https://id:{{clientSecret}}@host"}})
    assert secret.kept_secret(embedded, {"URL": "x"}) is None  # cannot be read back: PingOne is asked


def test_every_default_key_names_a_documented_variable():
    from pingone_operator.api import SECRET_VARIABLES

    assert set(secret.DEFAULT_KEYS.values()) <= set(SECRET_VARIABLES)


# --- rotation ----------------------------------------------------------------------------------

def test_rotation_baseline_then_trigger_then_schedule():
    policy = SecretRotation(trigger="v1", everySeconds=3600)
    state = rotation.with_baseline(policy, SecretRotationStatus())
    assert state.trigger == "v1" and rotation.rotation_due(policy, state, rotation.format_time(NOW), NOW) is None
    assert rotation.rotation_due(SecretRotation(trigger="v2"), state, None, NOW) == "trigger"
    old = rotation.format_time(NOW - timedelta(hours=2))
    assert rotation.rotation_due(policy, state, old, NOW) == "schedule"


def test_an_interrupted_rotation_is_recognised_by_its_expiry_window():
    intent = rotation.intent(SecretRotation(trigger="v2", overlapSeconds=60), SecretRotationStatus(trigger="v1"), NOW)
    sent = rotation.parse_time(intent.pendingExpiresAt) + timedelta(seconds=5)
    assert rotation.sent_by_intent(rotation.format_time(sent), intent.pendingExpiresAt)
    assert not rotation.sent_by_intent(rotation.format_time(sent + timedelta(days=1)), intent.pendingExpiresAt)
    assert rotation.rotated(intent, "e", NOW).trigger == "v2"


# --- access ------------------------------------------------------------------------------------

def test_adoption_conflicts_keep_the_manager_and_pick_one_of_two_adopters():
    claims = [("team-a/first", "uid-0", True)]
    assert access.adoption_conflict("uid-1", None, "app", claims).reason == "AdoptionConflict"
    assert access.adoption_conflict("uid-1", "app", "app", claims) is None  # it is ours already
    both = [("team-a/a", "uid-1", False), ("team-b/b", "uid-2", False)]
    assert access.adoption_conflict("uid-1", None, "app", both) is None
    assert access.adoption_conflict("uid-2", None, "app", both).reason == "AdoptionConflict"


# --- classification ----------------------------------------------------------------------------

@pytest.mark.parametrize("exc, reason, retry", [
    (ValidationFailed("bad", status=400), "InvalidSpec", False),
    (RateLimited("slow", retry_after=7, status=429), "RateLimited", True),
    (TokenRequestFailed("slow", status=429, retry_after=0), "RateLimited", True),
    (MalformedResponse("html"), "InvalidResponse", True),
    (TokenRequestFailed("down", status=503), "PingOneUnavailable", True),
    (TokenRequestFailed("no", status=401), "AuthenticationFailed", True),
    (AuthenticationFailed("no", status=401), "AuthenticationFailed", True),
    (PermissionDenied("no", status=403), "PermissionDenied", True),
    (ServerError("boom", status=500), "PingOneUnavailable", True),
    (SecretConflict("taken"), "SecretConflict", True),
    (SecretStoreFailed("no", 403), "SecretForbidden", True),
    (SecretStoreFailed("down", 500), "SecretUnavailable", True),
    (KubernetesUnavailable("down"), "KubernetesUnavailable", True),
])
def test_failures_are_classified(exc, reason, retry):
    failure = classify(exc)
    assert (failure.reason, failure.retry) == (reason, retry)
    if reason == "RateLimited":
        assert failure.delay in (7, None)  # Retry-After when given, else the caller's backoff


def test_an_outcome_is_plain_data():
    outcome = Outcome(status=PingOneApplicationStatus())
    assert outcome.events == [] and outcome.failure is None
