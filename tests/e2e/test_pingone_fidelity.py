"""Faithful to PingOne as documented: a PUT never wipes what the spec does not mention, a WORKER
never inherits the operator's roles, replay protection survives, lists are paged, the name filter
may be refused or ignored, and a malformed 2xx is a condition, not a traceback."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.e2e.conftest import DRIFT
from tests.e2e.helpers import SEED, application, condition, create_app, ready, record_create_intent, wait_for

pytestmark = pytest.mark.e2e

WORKER = {
    "name": "Fidelity-Worker", "enabled": True, "type": "WORKER", "protocol": "OPENID_CONNECT",
    "grantTypes": ["CLIENT_CREDENTIALS"], "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
}
CONSOLE_SETTINGS = {  # made in the console or by another tool, on fields the spec never mentions
    "corsSettings": {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://portal.example.com"]},
    "signing": {"keyRotationPolicy": {"id": "4b5e1c1e-4f8a-4a53-9d1d-2c1b9f0e7a11"}},
}


def puts(admin):
    return admin.requests("PUT")


def test_settings_made_outside_on_undeclared_fields_survive_a_spec_edit(kube, admin, operator):
    kube.apply(application("keeper"))
    app_id = wait_for(lambda: ready(kube, "keeper"), what="Ready")["status"]["applicationId"]
    admin.patch_app(app_id, CONSOLE_SETTINGS)
    admin.clear_requests()
    time.sleep(2 * float(DRIFT) + 1)  # drift ticks see them, and leave them alone
    assert puts(admin) == []

    kube.apply(application("keeper", description="edited in Git"))
    wait_for(lambda: admin.app(app_id)["description"] == "edited in Git", what="the edit's PUT")
    time.sleep(float(DRIFT) + 1)
    assert len(puts(admin)) == 1
    app = admin.app(app_id)
    for key, value in CONSOLE_SETTINGS.items():
        assert app[key] == value, f"{key} was wiped by the PUT"


def test_a_field_removed_from_the_spec_goes_back_to_its_default_with_one_put(kube, admin, operator):
    kube.apply(application("dropper", pkceEnforcement="S256_REQUIRED", homePageUrl="https://home.example.com"))
    obj = wait_for(lambda: ready(kube, "dropper"), what="Ready")
    app_id = obj["status"]["applicationId"]
    assert {"pkceEnforcement", "homePageUrl"} <= set(obj["status"]["managedFields"])
    assert admin.app(app_id)["pkceEnforcement"] == "S256_REQUIRED"
    admin.clear_requests()

    kube.apply(application("dropper"))
    wait_for(lambda: admin.app(app_id)["pkceEnforcement"] == "OPTIONAL", what="pkceEnforcement reset")
    time.sleep(float(DRIFT) + 1)
    assert len(puts(admin)) == 1
    app = admin.app(app_id)
    assert "homePageUrl" not in app
    obj = wait_for(lambda: (o := ready(kube, "dropper")) and o["status"]["observedGeneration"] ==
                   o["metadata"]["generation"] and o, what="Ready for the edited generation")
    assert "pkceEnforcement" not in obj["status"]["managedFields"] and "homePageUrl" not in obj["status"]["managedFields"]


def test_a_worker_created_without_assign_actor_roles_inherits_no_roles(kube, admin, operator):
    kube.apply(application("worker", WORKER))
    app_id = wait_for(lambda: ready(kube, "worker"), what="Ready")["status"]["applicationId"]
    assert admin.role_assignments(app_id) == []
    # The operator's own worker holds roles: inheriting them is what did not happen.
    assert admin.role_assignments(admin.worker_id) != []


def test_replay_protection_survives_puts_and_dropping_refresh_tokens_stays_ready(kube, admin, operator):
    refresh = {**SEED, "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"]}
    kube.apply(application("refresher", refresh))
    app_id = wait_for(lambda: ready(kube, "refresher"), what="Ready")["status"]["applicationId"]
    assert admin.app(app_id)["additionalRefreshTokenReplayProtectionEnabled"] is True
    for n in range(3):
        kube.apply(application("refresher", refresh, description=f"edit {n}"))
        wait_for(lambda: admin.app(app_id)["description"] == f"edit {n}", what=f"PUT {n}")
        assert admin.app(app_id)["additionalRefreshTokenReplayProtectionEnabled"] is True

    kube.apply(application("refresher", {**SEED, "grantTypes": ["AUTHORIZATION_CODE"]}))
    wait_for(lambda: admin.app(app_id)["grantTypes"] == ["AUTHORIZATION_CODE"], what="REFRESH_TOKEN removed")
    obj = wait_for(lambda: (o := ready(kube, "refresher")) and o["status"]["observedGeneration"] ==
                   o["metadata"]["generation"] and o, what="Ready without REFRESH_TOKEN, for this generation")
    time.sleep(float(DRIFT) + 1)
    assert condition(kube.get("p1app", "refresher"))["status"] == "True"


@pytest.mark.parametrize("filter_mode", ["honour", "refuse", "ignore"])
def test_crash_recovery_finds_its_application_on_a_later_page(control_plane, simulator_factory, operator_factory,
                                                             namespace, crd, kube, filter_mode):
    from tests.e2e.helpers import SimulatorAdmin

    simulator = simulator_factory(extra_args=["--page-size", "2", "--filter-mode", filter_mode])
    admin = SimulatorAdmin(simulator)
    for n in range(5):  # the environment's first pages hold other applications
        asyncio.run(create_app(simulator, {**SEED, "name": f"Someone-Else-{n}"}))
    kube.apply(application("paged"))
    record_create_intent(kube, "paged", SEED["name"], admin.env)
    created = asyncio.run(create_app(simulator, SEED))  # the POST that landed before the crash
    admin.clear_requests()
    operator_factory(pingone=simulator, extra_env={"DRIFT_INTERVAL_SECONDS": DRIFT}, args=["--namespace", namespace])
    obj = wait_for(lambda: ready(kube, "paged"), what="Ready after recovery")
    assert obj["status"]["applicationId"] == created["id"]
    assert [a["id"] for a in admin.apps() if a["name"] == SEED["name"]] == [created["id"]]
    assert admin.requests("POST", "/applications") == []  # recovered, not created again


@pytest.mark.parametrize("body", ["html", "no-id"])
def test_a_malformed_2xx_is_a_condition_not_a_traceback(kube, admin, operator, body):
    kube.apply(application("proxied"))
    app_id = wait_for(lambda: ready(kube, "proxied"), what="Ready")["status"]["applicationId"]
    admin.fail_next(count=1000, status=200, method="GET", path_regex=f"/applications/{app_id}$", body=body)
    obj = wait_for(lambda: condition(o := kube.get("p1app", "proxied")).get("reason") == "InvalidResponse" and o,
                   what="Ready=False InvalidResponse")
    assert condition(obj)["status"] == "False"
    assert "InvalidResponse" in kube.event_reasons("proxied")
    admin.reset_faults()
    wait_for(lambda: ready(kube, "proxied"), timeout=90, what="Ready again once PingOne answers properly")
    logs = operator.logs()
    assert "Traceback" not in logs
    assert "pingone_operator_pingone_malformed_responses_total" in httpx.get(operator.metrics_url, timeout=10).text
