"""kopf's bookkeeping in status (controller/persistence.py), and the upgrade from annotations."""

import json

import kopf

from pingone_operator.controller.persistence import StatusDiffBase, tune

PREFIX = "pingone-operator.dev"
LEGACY = f"{PREFIX}/last-handled-configuration"
SPEC = {"name": "Web", "type": "WEB_APP"}


def body(annotations=None, status=None):
    return kopf.Body({"apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneApplication",
                      "metadata": {"name": "web", "namespace": "team-a", "annotations": annotations or {}},
                      "spec": SPEC, "status": status or {}})


def test_the_last_handled_spec_is_stored_in_status_only():
    storage, patch = StatusDiffBase(PREFIX), kopf.Patch()
    essence = storage.build(body=body())
    storage.store(body=body(), patch=patch, essence=essence)
    assert json.loads(patch["status"]["kopf"]["last-handled-configuration"]) == {"spec": SPEC}
    assert "metadata" not in patch  # one /status patch, no write of the object itself
    assert storage.fetch(body=body(status=patch["status"])) == {"spec": SPEC}


def test_a_resource_an_earlier_release_handled_is_not_new_and_loses_the_stale_annotation():
    storage = StatusDiffBase(PREFIX)
    legacy = body(annotations={LEGACY: json.dumps({"spec": SPEC}), "team": "a"})
    assert storage.fetch(body=legacy) == {"spec": SPEC}  # read from the annotation: no re-create
    patch = kopf.Patch()
    storage.store(body=legacy, patch=patch, essence=storage.build(body=legacy))
    assert patch["metadata"]["annotations"] == {LEGACY: None}  # removed, once; "team" untouched
    assert "kopf" in patch["status"]


def test_status_wins_over_a_leftover_annotation():
    storage = StatusDiffBase(PREFIX)
    newer = {"spec": {**SPEC, "name": "Renamed"}}
    both = body(annotations={LEGACY: json.dumps({"spec": SPEC})},
                status={"kopf": {"last-handled-configuration": json.dumps(newer)}})
    assert storage.fetch(body=both) == newer


def test_kopf_waits_longer_than_its_default_for_its_own_patch_to_come_back():
    # Past this wait kopf handles an event from before its patch: the intent's, without a diff base,
    # so the create handler would run a second time.
    settings = kopf.OperatorSettings()
    default = settings.persistence.consistency_timeout
    tune(settings, legacy_prefix=PREFIX)
    assert settings.persistence.consistency_timeout >= 30 > default
