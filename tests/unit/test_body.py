import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from pingone_operator.body import desired_body, differences
from pingone_operator.models import PingOneApplicationSpec

SEED = json.loads((Path(__file__).parents[3] / "shared/reference/seed-request.json").read_text())


def spec(**fields):
    return PingOneApplicationSpec.model_validate({**SEED, **fields})


def test_seed_request_is_a_valid_spec_and_its_body_keeps_every_seed_value():
    body = desired_body(spec().application())
    for key, value in SEED.items():
        assert body[key] == value


def test_body_makes_defaults_explicit_and_leaves_operator_fields_out():
    body = desired_body(spec(deletionPolicy="Orphan", secretName="x").application())
    assert body["pkceEnforcement"] == "OPTIONAL"
    assert body["parTimeout"] == 60
    assert body["deviceTimeout"] == 600
    assert body["hiddenFromAppPortal"] is False
    assert "deletionPolicy" not in body and "secretName" not in body and "environmentId" not in body


def test_refresh_token_grant_gets_durations_pingone_cannot_clear():
    body = desired_body(spec(grantTypes=["AUTHORIZATION_CODE", "REFRESH_TOKEN"]).application())
    assert body["refreshTokenDuration"] == 2592000
    assert body["refreshTokenRollingDuration"] == 15552000
    long = desired_body(spec(grantTypes=["AUTHORIZATION_CODE", "REFRESH_TOKEN"], refreshTokenDuration=20000000).application())
    assert long["refreshTokenRollingDuration"] >= long["refreshTokenDuration"]


def test_assign_actor_roles_is_sent_on_create_only():
    app = spec(type="WORKER", grantTypes=["CLIENT_CREDENTIALS"], responseTypes=None, redirectUris=None,
               assignActorRoles=False).application()
    assert desired_body(app, for_create=True)["assignActorRoles"] is False
    assert "assignActorRoles" not in desired_body(app)


def test_unknown_fields_and_bad_enums_are_refused():
    with pytest.raises(ValidationError):
        spec(redirectURIs=["https://x"])
    with pytest.raises(ValidationError):
        spec(type="MAGIC_APP")
    with pytest.raises(ValidationError):
        spec(parTimeout=601)


def test_lists_compare_as_sets():
    desired = {"grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"], "redirectUris": ["b", "a"]}
    observed = {"grantTypes": ["REFRESH_TOKEN", "AUTHORIZATION_CODE"], "redirectUris": ["a", "b"]}
    assert differences(desired, observed) == []
    assert differences(desired, {**observed, "redirectUris": ["a"]}) == ["redirectUris"]


def test_fields_the_spec_leaves_out_are_not_compared_but_read_only_fields_never_matter():
    desired = desired_body(spec().application())
    observed = {**desired, "id": "x", "updatedAt": "t", "accessControl": {"role": {"type": "ADMIN_USERS_ONLY"}},
                "_links": {}, "assignActorRoles": False}
    assert differences(desired, observed) == []


def test_drift_is_reported_by_field_name():
    desired = desired_body(spec().application())
    observed = {**desired, "enabled": False, "pkceEnforcement": "REQUIRED"}
    assert differences(desired, observed) == ["enabled", "pkceEnforcement"]
    observed = {k: v for k, v in desired.items() if k != "description"}
    assert differences(desired, observed) == ["description"]


def test_nested_objects_compare_only_what_we_send():
    desired = {"corsSettings": {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://a", "https://b"]}}
    assert differences(desired, {"corsSettings": {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://b", "https://a"]}}) == []
    assert differences(desired, {"corsSettings": {"behavior": "ALLOW_NO_ORIGINS"}}) == ["corsSettings.behavior", "corsSettings.origins"]


def test_a_field_pingone_leaves_out_equals_its_default():
    desired = desired_body(spec().application())
    observed = {k: v for k, v in desired.items() if k not in ("hiddenFromAppPortal", "idpSignoff", "parTimeout")}
    assert differences(desired, observed) == []
    assert differences(desired_body(spec(parTimeout=90).application()), observed) == ["parTimeout"]
