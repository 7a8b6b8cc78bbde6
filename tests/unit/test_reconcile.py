"""The reconcile decisions, against in-memory stand-ins for PingOne and the Kubernetes writes."""

import copy
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pingone_operator.api import PingOneApplicationSpec, PingOneApplicationStatus
from pingone_operator.pingone.errors import ErrorDetail, NotFound, ServerError, ValidationFailed
from pingone_operator.plan.outcome import Resource
from pingone_operator.plan.rotation import format_time, parse_time
from pingone_operator.plan.sync import status_patch as status_changes
from pingone_operator.ports import StoredSecret
from pingone_operator.reconciler import Reconciler

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
AUTH = "https://auth.pingone.test"
SEED = json.loads((Path(__file__).parents[3] / "shared/reference/seed-request.json").read_text())


class FakePingOne:
    def __init__(self):
        self.apps = {}
        self.calls = []
        self.secrets = {}
        self.fail_next = None
        self.fail_secret = None
        self.find_exact = True

    def _maybe_fail(self):
        if self.fail_next:
            exc, self.fail_next = self.fail_next, None
            raise exc

    async def get_application(self, env, app_id):
        self.calls.append(("GET", app_id))
        self._maybe_fail()
        if app_id not in self.apps:
            raise NotFound("The requested resource object cannot be found.", status=404, code="NOT_FOUND")
        return copy.deepcopy(self.apps[app_id])

    async def find_application_by_name(self, env, name):
        self.calls.append(("LIST", name))
        same = (lambda a: a["name"] == name) if self.find_exact else (lambda a: a["name"].lower() == name.lower())
        return next((copy.deepcopy(a) for a in self.apps.values() if same(a)), None)

    async def create_application(self, env, body):
        self.calls.append(("POST", body["name"]))
        self._maybe_fail()
        if any(a["name"] == body["name"] for a in self.apps.values()):  # PingOne: names are unique
            raise ValidationFailed("One or more validation errors were in the request.", status=400,
                                   code="INVALID_DATA", details=(ErrorDetail("UNIQUENESS_VIOLATION", "name",
                                                                             "name must be unique", {}),))
        app_id = str(uuid.uuid4())
        self.apps[app_id] = {**body, "id": app_id, "clientId": app_id, "updatedAt": "t0"}
        return copy.deepcopy(self.apps[app_id])

    async def replace_application(self, env, app_id, body):
        self.calls.append(("PUT", app_id))
        self._maybe_fail()
        self.apps[app_id] = {**body, "id": app_id, "clientId": app_id, "updatedAt": f"t{len(self.calls)}"}
        return copy.deepcopy(self.apps[app_id])

    async def delete_application(self, env, app_id):
        self.calls.append(("DELETE", app_id))
        self._maybe_fail()
        return self.apps.pop(app_id, None) is not None

    async def get_secret(self, env, app_id):
        self.calls.append(("GET secret", app_id))
        self._maybe_fail_secret()
        return copy.deepcopy(self.secrets.setdefault(app_id, {"secret": f"secret-of-{app_id}"}))

    async def rotate_secret(self, env, app_id, overlap_seconds=None):
        self.calls.append(("POST secret", app_id))
        old = self.secrets.setdefault(app_id, {"secret": f"secret-of-{app_id}"})
        new = {"secret": f"rotated-{len(self.calls)}"}
        sent = None
        if overlap_seconds:  # like the client: computed at send time, at least 65 s ahead
            sent = datetime.now(timezone.utc) + timedelta(seconds=max(overlap_seconds, 65))
            new["previous"] = {"secret": old["secret"], "expiresAt": format_time(sent)}
        self.secrets[app_id] = new
        return copy.deepcopy(new), sent

    def _maybe_fail_secret(self):
        if self.fail_secret:
            exc, self.fail_secret = self.fail_secret, None
            raise exc

    def writes(self):
        return [c for c in self.calls if c[0] in ("POST", "PUT", "DELETE", "POST secret")]


class FakeSecrets:
    def __init__(self):
        self.secrets = {}

    async def read(self, resource, name):
        return StoredSecret(dict(self.secrets[name]), True) if name in self.secrets else None

    async def write(self, resource, name, data, stored, labels=None, annotations=None):
        self.secrets[name] = dict(data)
        return "created" if stored is None else ("unchanged" if stored.data == data else "updated")


class FakeStatus:
    def __init__(self):
        self.patches = []

    async def patch_status(self, resource, fields):
        self.patches.append(dict(fields))


@pytest.fixture
def world():
    pingone, secrets, status = FakePingOne(), FakeSecrets(), FakeStatus()
    reconciler = Reconciler(pingone, secrets, status, default_environment_id=ENV, auth_url=AUTH)
    return reconciler, pingone, secrets, status


def plain(status):
    return status.model_dump(mode="json") if isinstance(status, PingOneApplicationStatus) else dict(status or {})


def resource(status=None, generation=1, **fields):
    spec = PingOneApplicationSpec.model_validate({**SEED, **fields})
    return Resource("team-a", "shared-web-app", "uid-1", generation, spec,
                    PingOneApplicationStatus.model_validate(plain(status)))


def ready(outcome):
    return {c.type: c for c in outcome.status.conditions}["Ready"]


async def test_create_records_intent_then_identity_then_writes_secret(world):
    reconciler, pingone, secrets, status = world
    outcome = await reconciler.sync(resource())
    assert outcome.failure is None
    assert [c[0] for c in pingone.calls] == ["POST", "GET secret"]  # PingOne's unique names guard the POST
    app_id = outcome.status.applicationId
    assert status.patches[0]["pendingCreate"]["name"] == "Shared-Web-App"
    assert len(status.patches) == 1  # the identity rides on the final patch; the intent covers a crash
    changes = status_changes(resource().status, outcome.status)
    assert {k: changes[k] for k in ("applicationId", "clientId", "environmentId")} == {
        "applicationId": app_id, "clientId": app_id, "environmentId": ENV}
    assert outcome.status.clientId == app_id and outcome.status.updatedAt == "t0"
    assert outcome.status.observedGeneration == 1 and outcome.status.secretName == "shared-web-app-oidc"
    assert ready(outcome).status == "True"
    secret = secrets.secrets["shared-web-app-oidc"]
    assert secret["client-secret"] == f"secret-of-{app_id}" and secret["client-id"] == app_id
    assert secret["token-endpoint"] == f"{AUTH}/{ENV}/as/token"
    assert secret["token-endpoint-auth-method"] == "CLIENT_SECRET_JWT"
    assert [e.reason for e in outcome.events] == ["Created"]  # one Event (one write) per create
    assert "shared-web-app-oidc" in outcome.events[0].message


async def test_unchanged_spec_costs_no_write_and_no_status_change(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource())
    pingone.calls.clear()
    again = await reconciler.sync(resource(status=first.status))
    assert pingone.writes() == []
    assert status_changes(first.status, again.status) == {}
    assert again.events == []


async def test_spec_change_is_one_put_with_the_full_body(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource())
    pingone.calls.clear()
    outcome = await reconciler.sync(resource(status=first.status, generation=2, description="new"))
    assert [c[0] for c in pingone.writes()] == ["PUT"]
    app = pingone.apps[first.status.applicationId]
    assert app["description"] == "new" and app["pkceEnforcement"] == "OPTIONAL"
    assert outcome.status.updatedAt != first.status.updatedAt
    assert outcome.status.observedGeneration == 2
    assert [e.reason for e in outcome.events] == ["Updated"]


async def test_drift_is_corrected_and_named(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource())
    pingone.apps[first.status.applicationId]["enabled"] = False
    outcome = await reconciler.sync(resource(status=first.status), drift_check=True)
    assert pingone.apps[first.status.applicationId]["enabled"] is True
    assert outcome.events[0].reason == "DriftCorrected" and "enabled" in outcome.events[0].message


async def test_observe_only_reports_drift_and_never_writes(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource())
    pingone.apps[first.status.applicationId]["enabled"] = False
    pingone.calls.clear()
    outcome = await reconciler.sync(resource(status=first.status, managementPolicy="ObserveOnly"), drift_check=True)
    assert pingone.writes() == []
    assert outcome.status.driftedFields == ["enabled"]
    synced = {c.type: c for c in outcome.status.conditions}["Synced"]
    assert synced.status == "False" and synced.reason == "Drifted"
    assert outcome.events[0].reason == "DriftDetected"
    again = await reconciler.sync(resource(status=outcome.status, managementPolicy="ObserveOnly"), drift_check=True)
    assert again.events == [] and status_changes(outcome.status, again.status) == {}  # steady: no writes


async def test_name_taken_by_a_stranger_is_a_conflict_not_a_takeover(world):
    reconciler, pingone, _, _ = world
    pingone.apps["other"] = {**SEED, "id": "other"}
    outcome = await reconciler.sync(resource())
    assert outcome.failure.reason == "NameConflict" and "adoptApplicationId" in outcome.failure.message
    assert "other" in outcome.failure.message
    assert pingone.writes() == [("POST", "Shared-Web-App")]  # refused by PingOne: nothing created ...
    assert list(pingone.apps) == ["other"] and outcome.status.pendingCreate is None  # ... or taken over
    assert ready(outcome).status == "False"


NOW = datetime.now(timezone.utc)


async def test_crash_after_post_is_recovered_by_name_without_a_second_application(world):
    reconciler, pingone, _, _ = world
    intent = {"pendingCreate": {"name": "Shared-Web-App", "environmentId": ENV, "startedAt": format_time(NOW)}}
    # the POST landed, the status write did not
    pingone.apps["ours"] = {**SEED, "id": "ours", "clientId": "ours", "createdAt": format_time(NOW + timedelta(seconds=1))}
    outcome = await reconciler.sync(resource(status=intent))
    assert outcome.failure is None
    assert outcome.status.applicationId == "ours" and outcome.status.pendingCreate is None
    assert len(pingone.apps) == 1 and ("POST", "Shared-Web-App") not in pingone.calls
    assert "Recovered" in [e.reason for e in outcome.events]


@pytest.mark.parametrize("name, created", [
    ("Shared-Web-App", NOW + timedelta(hours=2)),  # a stranger's, made long after our intent
    ("Shared-Web-App", NOW - timedelta(hours=2)),  # ...or long before it
    ("shared-web-app", NOW),  # not the exact name
])
async def test_a_create_intent_claims_only_the_application_it_made(world, name, created):
    reconciler, pingone, _, _ = world
    intent = {"pendingCreate": {"name": "Shared-Web-App", "environmentId": ENV, "startedAt": format_time(NOW)}}
    pingone.apps["theirs"] = {**SEED, "name": name, "id": "theirs", "clientId": "theirs", "createdAt": format_time(created)}
    pingone.find_exact = False  # a lookup that matches names loosely must not fool the intent
    outcome = await reconciler.sync(resource(status=intent))
    if name == "Shared-Web-App":
        assert outcome.failure.reason == "NameConflict"
    assert outcome.status.applicationId != "theirs"
    assert [c for c in pingone.calls if c[0] == "PUT"] == []


async def test_the_operators_own_worker_application_is_never_managed(world):
    reconciler, pingone, _, _ = world
    reconciler.worker_id = "the-worker"
    pingone.apps["the-worker"] = {**SEED, "id": "the-worker", "clientId": "the-worker", "createdAt": "t"}
    outcome = await reconciler.sync(resource(status={"applicationId": "the-worker"}))
    assert outcome.failure.reason == "ProtectedApplication" and not outcome.failure.retry
    assert pingone.writes() == []


async def test_validation_error_keeps_pingone_words_and_is_not_retried(world):
    reconciler, pingone, _, _ = world
    pingone.fail_next = ValidationFailed(
        "One or more validation errors were in the request.", status=400, code="INVALID_DATA",
        details=(ErrorDetail("INVALID_VALUE", "redirectUris", "Wildcards are not allowed in redirect URIs.", {}),),
    )
    outcome = await reconciler.sync(resource())
    assert outcome.failure.reason == "InvalidSpec" and outcome.failure.retry is False
    assert "redirectUris: Wildcards are not allowed" in ready(outcome).message


async def test_outage_is_retryable_and_shown_in_conditions(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource())
    pingone.fail_next = ServerError("boom", status=503, code="UNEXPECTED_ERROR")
    outcome = await reconciler.sync(resource(status=first.status))
    assert outcome.failure.retry is True and outcome.failure.reason == "PingOneUnavailable"
    assert ready(outcome).status == "False"
    assert outcome.status.applicationId == first.status.applicationId  # identity is never lost


async def test_application_deleted_behind_our_back_is_recreated(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource())
    pingone.apps.clear()
    outcome = await reconciler.sync(resource(status=first.status))
    assert outcome.status.applicationId != first.status.applicationId
    assert [e.reason for e in outcome.events][:2] == ["ApplicationMissing", "Created"]


async def test_adopt_by_id(world):
    reconciler, pingone, _, _ = world
    app_id = "7029adfa-164d-4234-a3ca-3e4900ef94a6"
    outcome = await reconciler.sync(resource(adoptApplicationId=app_id))
    assert outcome.failure.reason == "AdoptionFailed" and outcome.failure.retry is False
    assert pingone.writes() == []
    pingone.apps[app_id] = {**SEED, "id": app_id, "clientId": app_id, "enabled": False}
    outcome = await reconciler.sync(resource(adoptApplicationId=app_id))
    assert outcome.status.applicationId == app_id
    assert [e.reason for e in outcome.events][:2] == ["Adopted", "Updated"]


async def test_public_client_gets_no_secret_lookup(world):
    reconciler, pingone, secrets, _ = world
    outcome = await reconciler.sync(resource(type="SINGLE_PAGE_APP", tokenEndpointAuthMethod="NONE", pkceEnforcement="S256_REQUIRED"))
    assert outcome.failure is None
    assert not any(c[0] == "GET secret" for c in pingone.calls)
    assert "client-secret" not in secrets.secrets["shared-web-app-oidc"]


@pytest.mark.parametrize("policy, deleted", [("Delete", True), ("Orphan", False)])
async def test_delete_policies(world, policy, deleted):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource(deletionPolicy=policy))
    outcome = await reconciler.delete(resource(status=first.status, deletionPolicy=policy))
    assert outcome.failure is None
    assert (first.status.applicationId not in pingone.apps) is deleted
    assert outcome.events[0].reason == ("Deleted" if deleted else "Orphaned")


async def test_delete_of_an_already_gone_application_succeeds(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource())
    pingone.apps.clear()
    outcome = await reconciler.delete(resource(status=first.status))
    assert outcome.failure is None and "already gone" in outcome.events[0].message


async def test_drift_tick_between_secret_checks_costs_one_get(world):
    reconciler, pingone, secrets, _ = world
    first = await reconciler.sync(resource())
    pingone.calls.clear()
    outcome = await reconciler.sync(resource(status=first.status), drift_check=True, read_secret=False)
    assert pingone.calls == [("GET", first.status.applicationId)]
    assert outcome.events == []


async def test_missing_secret_is_read_from_pingone_even_between_checks(world):
    reconciler, pingone, secrets, _ = world
    first = await reconciler.sync(resource())
    secrets.secrets.clear()
    pingone.calls.clear()
    outcome = await reconciler.sync(resource(status=first.status), drift_check=True, read_secret=False)
    assert ("GET secret", first.status.applicationId) in pingone.calls
    assert secrets.secrets["shared-web-app-oidc"]["client-secret"].startswith("secret-of-")
    assert [e.reason for e in outcome.events] == ["SecretCreated"]


async def test_a_failure_after_create_keeps_the_recorded_identity(world):
    reconciler, pingone, _, status = world
    pingone.fail_secret = ServerError("boom", status=503, code="UNEXPECTED_ERROR")
    res = resource()
    outcome = await reconciler.sync(res)
    assert outcome.failure is not None
    app_id = next(iter(pingone.apps))  # the one application the POST made
    assert status_changes(res.status, outcome.status)["applicationId"] == app_id  # in the failure's patch
    assert outcome.status.applicationId == app_id and outcome.status.pendingCreate is None


ROTATION = {"trigger": "2026-11", "overlapSeconds": 3600}


async def test_first_trigger_is_a_baseline_and_a_change_rotates_exactly_once(world):
    reconciler, pingone, secrets, _ = world
    first = await reconciler.sync(resource(secretRotation=ROTATION))
    assert first.status.secretRotation.trigger == "2026-11"
    assert not [c for c in pingone.calls if c[0] == "POST secret"]

    changed = {**ROTATION, "trigger": "2026-12"}
    second = await reconciler.sync(resource(status=first.status, secretRotation=changed))
    assert [c[0] for c in pingone.calls].count("POST secret") == 1
    state = second.status.secretRotation
    assert state.trigger == "2026-12" and state.pendingExpiresAt is None and state.previousExpiresAt
    stored = secrets.secrets["shared-web-app-oidc"]
    assert stored["client-secret"].startswith("rotated-")
    assert stored["previous-client-secret"] == f"secret-of-{first.status.applicationId}"
    assert "SecretRotated" in [e.reason for e in second.events]

    third = await reconciler.sync(resource(status={**plain(first.status), **plain(second.status)}, secretRotation=changed))
    assert [c[0] for c in pingone.calls].count("POST secret") == 1  # same trigger: no second rotation
    assert third.failure is None


async def test_interrupted_rotation_is_not_repeated(world):
    reconciler, pingone, _, status = world
    first = await reconciler.sync(resource(secretRotation=ROTATION))
    changed = {**ROTATION, "trigger": "2026-12"}
    pingone.fail_secret = None
    # The rotation request reaches PingOne, then the operator dies before writing status.
    await reconciler.sync(resource(status=first.status, secretRotation=changed))
    intent = next(p for p in status.patches if "secretRotation" in p)["secretRotation"]
    assert intent["pendingTrigger"] == "2026-12" and intent["pendingExpiresAt"]
    crashed_status = {**plain(first.status), "secretRotation": intent}
    # PingOne shows the expiry the request carried: computed at send time, just after the intent's.
    app_id = first.status.applicationId
    shown = pingone.secrets[app_id]["previous"]["expiresAt"]
    assert timedelta(0) <= parse_time(shown) - parse_time(intent["pendingExpiresAt"]) < timedelta(minutes=1)
    after = await reconciler.sync(resource(status=crashed_status, secretRotation=changed))
    assert [c[0] for c in pingone.calls].count("POST secret") == 1
    assert after.status.secretRotation.trigger == "2026-12"
    assert "recovered" in next(e.message for e in after.events if e.reason == "SecretRotated")


async def test_an_older_rotations_overlap_is_not_mistaken_for_the_interrupted_one(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource(secretRotation=ROTATION))
    changed = {**ROTATION, "trigger": "2026-12"}
    app_id = first.status.applicationId
    # An earlier rotation's overlap, ending a day after the new intent's earliest expiry.
    intent_expiry = datetime.now(timezone.utc) + timedelta(seconds=ROTATION.get("overlapSeconds", 86400))
    pingone.secrets[app_id] = {"secret": "s", "previous": {"secret": "p",
                                                           "expiresAt": format_time(intent_expiry + timedelta(days=1))}}
    crashed = {**plain(first.status), "secretRotation": {"trigger": ROTATION["trigger"], "pendingTrigger": "2026-12",
                                                  "pendingExpiresAt": format_time(intent_expiry)}}
    after = await reconciler.sync(resource(status=crashed, secretRotation=changed))
    assert [c[0] for c in pingone.calls].count("POST secret") == 1  # rotated, not "recovered"
    assert "recovered" not in next(e.message for e in after.events if e.reason == "SecretRotated")


async def test_schedule_rotates_an_old_secret(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource(secretRotation={"everySeconds": 3600}))
    app_id = first.status.applicationId
    assert [c[0] for c in pingone.calls].count("POST secret") == 0
    pingone.apps[app_id]["createdAt"] = "2020-01-01T00:00:00.000Z"
    second = await reconciler.sync(resource(status=first.status, secretRotation={"everySeconds": 3600}))
    assert [c[0] for c in pingone.calls].count("POST secret") == 1
    assert second.status.secretRotation.lastRotatedAt


async def test_a_refused_create_clears_the_intent_so_a_stranger_is_never_adopted_later(world):
    reconciler, pingone, _, status = world
    pingone.fail_next = ValidationFailed("bad", status=400, code="INVALID_DATA")
    res = resource()
    outcome = await reconciler.sync(res)
    assert outcome.failure.reason == "InvalidSpec"
    assert status.patches[-1] == {"pendingCreate": None}
    assert outcome.status.pendingCreate is None
    pingone.apps["stranger"] = {**SEED, "id": "stranger"}  # someone else takes the name meanwhile
    again = await reconciler.sync(resource(status={**plain(res.status), **plain(outcome.status)}))
    assert again.failure.reason == "NameConflict"


@pytest.mark.parametrize("status_code, reason", [(503, "PingOneUnavailable"), (429, "RateLimited"),
                                                 (401, "AuthenticationFailed")])
def test_token_endpoint_failures_are_classified_by_status(status_code, reason):
    from pingone_operator.pingone.errors import TokenRequestFailed
    from pingone_operator.plan.failures import classify

    failure = classify(TokenRequestFailed("x", status=status_code, retry_after=3))
    assert failure.reason == reason and failure.retry


async def test_after_a_name_conflict_the_next_sync_looks_before_it_posts(world):
    reconciler, pingone, _, _ = world
    pingone.apps["other"] = {**SEED, "id": "other"}
    first = await reconciler.sync(resource())
    pingone.calls.clear()
    again = await reconciler.sync(resource(status=first.status))
    assert again.failure.reason == "NameConflict"
    assert [c[0] for c in pingone.calls] == ["LIST"]  # no second POST into the same refusal
