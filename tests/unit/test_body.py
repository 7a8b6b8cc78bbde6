"""Request bodies and drift: three-way field ownership (declared / never declared / dropped)."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from pingone_operator.plan.fields import create_body, declared_fields, drifted_fields, field_paths, update_body
from pingone_operator.api import PingOneApplicationSpec

SEED = json.loads((Path(__file__).parents[3] / "shared/reference/seed-request.json").read_text())
WORKER = {"name": "w", "type": "WORKER", "protocol": "OPENID_CONNECT", "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
          "grantTypes": ["CLIENT_CREDENTIALS"]}


def spec(**fields):
    return PingOneApplicationSpec.model_validate({**SEED, **fields})


def observed_after_create(s):
    """What PingOne holds after creating `s`, with server fields and a console-made setting."""
    return {**create_body(s), "id": "app-1", "clientId": "app-1", "environment": {"id": "env"},
            "createdAt": "t0", "updatedAt": "t1", "_links": {"self": {"href": "x"}}}


def test_seed_request_is_a_valid_spec_and_its_create_body_keeps_every_seed_value():
    body = create_body(spec())
    for key, value in SEED.items():
        assert body[key] == value


def test_create_body_makes_defaults_explicit_and_leaves_operator_fields_out():
    body = create_body(spec(deletionPolicy="Orphan", secretName="x"))
    assert body["pkceEnforcement"] == "OPTIONAL"
    assert body["parTimeout"] == 60
    assert body["hiddenFromAppPortal"] is False
    assert "deletionPolicy" not in body and "secretName" not in body and "environmentId" not in body


def test_create_sends_the_secure_defaults_unless_the_spec_says_otherwise():
    worker = PingOneApplicationSpec.model_validate(WORKER)
    body = create_body(worker)
    assert body["assignActorRoles"] is False  # PingOne's own default hands over the operator's roles
    assert body["additionalRefreshTokenReplayProtectionEnabled"] is True
    asked = create_body(PingOneApplicationSpec.model_validate({**WORKER, "assignActorRoles": True}))
    assert asked["assignActorRoles"] is True


def test_refresh_token_grant_gets_durations_pingone_cannot_clear():
    body = create_body(spec(grantTypes=["AUTHORIZATION_CODE", "REFRESH_TOKEN"]))
    assert body["refreshTokenDuration"] == 2592000
    assert body["refreshTokenRollingDuration"] == 15552000
    long = create_body(spec(grantTypes=["AUTHORIZATION_CODE", "REFRESH_TOKEN"], refreshTokenDuration=20000000))
    assert long["refreshTokenRollingDuration"] >= long["refreshTokenDuration"]


def test_declared_fields_are_what_the_user_wrote_not_model_defaults():
    declared = declared_fields(spec(corsSettings={"behavior": "ALLOW_NO_ORIGINS"}, deletionPolicy="Orphan"))
    assert "pkceEnforcement" not in declared and "parTimeout" not in declared
    assert "deletionPolicy" not in declared
    assert declared["corsSettings"] == {"behavior": "ALLOW_NO_ORIGINS"}
    assert field_paths({"a": 1, "c": {"d": [1], "e": {"f": True}}}) == ["a", "c.d", "c.e.f"]


def test_a_put_carries_over_every_field_the_spec_never_declared():
    s = spec()
    observed = {**observed_after_create(s), "corsSettings": {"behavior": "ALLOW_NO_ORIGINS"},
                "signing": {"keyRotationPolicy": {"id": "krp-1"}}, "accessControl": {"group": {"type": "ANY_GROUP"}},
                "futureField": {"x": 1}}
    edited = declared_fields(spec(description="new words"))
    body = update_body(edited, observed, field_paths(declared_fields(s)))
    assert body["description"] == "new words"
    for key in ("corsSettings", "signing", "accessControl", "futureField"):
        assert body[key] == observed[key]
    for key in ("id", "clientId", "environment", "createdAt", "updatedAt", "_links", "assignActorRoles"):
        assert key not in body  # read-only or create-only: never in a PUT


def test_a_setting_made_outside_on_an_undeclared_field_is_no_drift():
    s = spec()
    observed = {**observed_after_create(s), "signing": {"keyRotationPolicy": {"id": "krp-1"}},
                "pkceEnforcement": "S256_REQUIRED", "hiddenFromAppPortal": True}
    assert "pkceEnforcement" not in SEED and "hiddenFromAppPortal" not in SEED
    assert drifted_fields(declared_fields(s), observed, field_paths(declared_fields(s))) == []


def test_declared_fields_drift_and_are_enforced_by_name():
    s = spec()
    declared = declared_fields(s)
    observed = {**observed_after_create(s), "description": "changed in the console", "responseTypes": ["TOKEN"]}
    assert drifted_fields(declared, observed, field_paths(declared)) == ["description", "responseTypes"]
    body = update_body(declared, observed, field_paths(declared))
    assert body["description"] == SEED["description"] and body["responseTypes"] == SEED["responseTypes"]


def test_a_field_dropped_from_the_spec_goes_back_to_its_default():
    before = declared_fields(spec(pkceEnforcement="S256_REQUIRED", homePageUrl="https://home.example"))
    observed = {**observed_after_create(spec()), "pkceEnforcement": "S256_REQUIRED", "homePageUrl": "https://home.example"}
    now = declared_fields(spec())
    assert drifted_fields(now, observed, field_paths(before)) == ["homePageUrl", "pkceEnforcement"]
    body = update_body(now, observed, field_paths(before))
    assert body["pkceEnforcement"] == "OPTIONAL"
    assert "homePageUrl" not in body
    # ...once reset, nothing differs any more
    assert drifted_fields(now, body, field_paths(before)) == []


def test_dropping_part_of_an_object_removes_that_part_and_keeps_the_rest():
    before = declared_fields(spec(corsSettings={"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://a.example"]}))
    observed = {**observed_after_create(spec()), "corsSettings": {"behavior": "ALLOW_SPECIFIC_ORIGINS",
                                                                  "origins": ["https://a.example"]}}
    now = declared_fields(spec(corsSettings={"behavior": "ALLOW_NO_ORIGINS"}))
    assert drifted_fields(now, observed, field_paths(before)) == ["corsSettings.behavior", "corsSettings.origins"]
    assert update_body(now, observed, field_paths(before))["corsSettings"] == {"behavior": "ALLOW_NO_ORIGINS"}
    gone = declared_fields(spec())
    assert "corsSettings" not in update_body(gone, observed, field_paths(before))


def test_replay_protection_survives_every_put():
    s = spec(grantTypes=["AUTHORIZATION_CODE", "REFRESH_TOKEN"])
    observed = observed_after_create(s)
    assert observed["additionalRefreshTokenReplayProtectionEnabled"] is True  # sent on create
    body = update_body(declared_fields(spec(description="x")), observed, field_paths(declared_fields(s)))
    assert body["additionalRefreshTokenReplayProtectionEnabled"] is True  # carried over
    observed["additionalRefreshTokenReplayProtectionEnabled"] = False  # turned off in the console: kept
    assert update_body(declared_fields(s), observed, [])["additionalRefreshTokenReplayProtectionEnabled"] is False
    declared = declared_fields(s.model_copy(update={"additionalRefreshTokenReplayProtectionEnabled": True}))
    assert drifted_fields(declared, {k: v for k, v in observed.items() if k != "additionalRefreshTokenReplayProtectionEnabled"}) \
        == ["additionalRefreshTokenReplayProtectionEnabled"]  # absent from a GET is null: false


def test_removing_the_refresh_grant_keeps_the_durations_pingone_cannot_clear():
    s = spec(grantTypes=["AUTHORIZATION_CODE", "REFRESH_TOKEN"], refreshTokenDuration=3600)
    observed = observed_after_create(s)
    now = declared_fields(spec(grantTypes=["AUTHORIZATION_CODE"]))
    body = update_body(now, observed, field_paths(declared_fields(s)))
    assert body["grantTypes"] == ["AUTHORIZATION_CODE"]
    assert body["refreshTokenDuration"] == 2592000  # dropped from the spec: back to PingOne's default
    assert body["refreshTokenRollingDuration"] == observed["refreshTokenRollingDuration"]


def test_observe_only_reports_declared_fields_only():
    s = spec()
    observed = {**observed_after_create(s), "pkceEnforcement": "REQUIRED", "description": "changed"}
    assert drifted_fields(declared_fields(s), observed) == ["description"]


def test_unknown_fields_and_bad_enums_are_refused():
    with pytest.raises(ValidationError):
        spec(redirectURIs=["https://x"])
    with pytest.raises(ValidationError):
        spec(type="MAGIC_APP")
    with pytest.raises(ValidationError):
        spec(parTimeout=601)


def test_lists_compare_as_sets():
    declared = {"grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"], "redirectUris": ["b", "a"]}
    observed = {"grantTypes": ["REFRESH_TOKEN", "AUTHORIZATION_CODE"], "redirectUris": ["a", "b"]}
    assert drifted_fields(declared, observed) == []
    assert drifted_fields(declared, {**observed, "redirectUris": ["a"]}) == ["redirectUris"]


def test_a_declared_field_pingone_leaves_out_equals_its_default():
    declared = declared_fields(spec(hiddenFromAppPortal=False, parTimeout=60))
    observed = {k: v for k, v in observed_after_create(spec()).items() if k not in ("hiddenFromAppPortal", "parTimeout")}
    assert drifted_fields(declared, observed) == []
    assert drifted_fields(declared_fields(spec(parTimeout=90)), observed) == ["parTimeout"]
