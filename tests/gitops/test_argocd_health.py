"""The Argo CD health checks (PingOneApplication, PingOneConnection) and the `resync` resource
action, run in Lua 5.1 the way Argo CD runs them.

- Every case of health_test.yaml and actions/action_test.yaml (Argo CD's own test layouts; the
  objects in testdata/ were written by the real operator, see tests/e2e/test_gitops.py), in the
  restricted library set that argocd-cm scripts get and with the open libraries that Argo CD's
  unit tests use.
- Edge cases derived from those objects.
- The copies users paste (docs/gitops.md, argocd/argocd-cm-patch.yaml) are the scripts verbatim.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from lupa.lua51 import LuaError

from tests.gitops.argocd_lua import (
    ACTIONS_DIR,
    CONNECTION_DIR,
    HEALTH_DIR,
    HEALTH_LUA,
    REPO_ROOT,
    VALID_STATUSES,
    load_cases,
    run_action,
    run_action_discovery,
    run_health,
)

HEALTH_KEY = "resource.customizations.health.pingone-operator.dev_PingOneApplication"
CONNECTION_KEY = "resource.customizations.health.pingone-operator.dev_PingOneConnection"
ACTIONS_KEY = "resource.customizations.actions.pingone-operator.dev_PingOneApplication"
RESYNC = "ops.pingone-operator.dev/resync"
CASES = load_cases()
CONNECTION_CASES = load_cases(CONNECTION_DIR)
KINDS = {"PingOneApplication": (HEALTH_DIR, CASES), "PingOneConnection": (CONNECTION_DIR, CONNECTION_CASES)}
ALL_CASES = [(kind, case) for kind, (_, cases) in KINDS.items() for case in cases]


@pytest.mark.parametrize("sandboxed", [True, False], ids=["argocd-cm-libs", "open-libs"])
@pytest.mark.parametrize(("kind", "case"), ALL_CASES, ids=[f"{k}-{Path(c['inputPath']).stem}" for k, c in ALL_CASES])
def test_health_test_yaml_case(kind: str, case: dict[str, Any], sandboxed: bool) -> None:
    assert run_health(case["obj"], sandboxed=sandboxed, health_dir=KINDS[kind][0]) == case["healthStatus"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_testdata_file_is_a_case_and_every_case_has_a_message(kind: str) -> None:
    health_dir, cases = KINDS[kind]
    files = {f"testdata/{p.name}" for p in (health_dir / "testdata").glob("*.yaml")}
    assert files == {c["inputPath"] for c in cases}
    for case in cases:
        assert case["healthStatus"]["status"] in VALID_STATUSES
        assert case["healthStatus"]["message"]


@pytest.mark.parametrize(("kind", "statuses"), [
    ("PingOneApplication", {"Healthy", "Progressing", "Degraded", "Suspended"}),
    ("PingOneConnection", {"Healthy", "Progressing", "Degraded"}),
])
def test_testdata_covers_each_health_status_the_script_returns(kind: str, statuses: set[str]) -> None:
    assert {c["healthStatus"]["status"] for c in KINDS[kind][1]} == statuses


@pytest.mark.parametrize(("kind", "case"), ALL_CASES, ids=[f"{k}-{Path(c['inputPath']).stem}" for k, c in ALL_CASES])
def test_testdata_are_real_operator_objects_without_noise(kind: str, case: dict[str, Any]) -> None:
    obj, meta = case["obj"], case["obj"]["metadata"]
    assert obj["apiVersion"] == "pingone-operator.dev/v1alpha1" and obj["kind"] == kind
    assert not {"managedFields", "uid", "resourceVersion"} & set(meta), case["inputPath"]
    assert "kubectl.kubernetes.io/last-applied-configuration" not in (meta.get("annotations") or {})
    if "status" in obj:  # the operator has been at it: kopf's mark (and an application's finalizer) are there
        # (captured from a release that kept kopf's bookkeeping in annotations; now it is status.kopf)
        assert "kopf" in obj["status"] or meta["annotations"]["pingone-operator.dev/kopf-managed"] == "yes", \
            case["inputPath"]
        if kind == "PingOneApplication":
            assert meta["finalizers"] == ["pingone-operator.dev/finalizer"], case["inputPath"]


# ----------------------------------------------------------------------------------------------
# Edge cases, derived from the captured objects
# ----------------------------------------------------------------------------------------------

def captured(name: str) -> dict[str, Any]:
    return copy.deepcopy(next(c["obj"] for c in CASES if c["inputPath"] == f"testdata/{name}.yaml"))


def with_ready(obj: dict[str, Any], status: str, reason: str, message: str = "details",
               generation: int | None = 1) -> dict[str, Any]:
    conditions = [c for c in obj["status"]["conditions"] if c["type"] != "Ready"]
    ready = {"type": "Ready", "status": status, "reason": reason, "message": message,
             "lastTransitionTime": "2026-11-29T06:00:00Z"}
    if generation is not None:
        ready["observedGeneration"] = generation
    obj["status"]["conditions"] = [*conditions, ready]
    return obj


@pytest.mark.parametrize("reason", ["InvalidSpec", "NameConflict", "SecretConflict", "AdoptionFailed",
                                    "PermissionDenied", "AuthenticationFailed", "NotFound"])
def test_reasons_that_need_a_person_are_degraded(reason: str) -> None:
    obj = with_ready(captured("healthy"), "False", reason, "what went wrong")
    assert run_health(obj) == {"status": "Degraded", "message": f"{reason}: what went wrong"}


@pytest.mark.parametrize("reason", ["PingOneUnavailable", "RateLimited", "InternalError", "SomeFutureReason"])
def test_reasons_the_operator_retries_on_its_own_are_progressing(reason: str) -> None:
    obj = with_ready(captured("healthy"), "False", reason, "try later")
    assert run_health(obj) == {"status": "Progressing", "message": f"{reason}: try later (the operator retries)"}


def test_ready_unknown_is_progressing() -> None:
    obj = with_ready(captured("healthy"), "Unknown", "Reconciling", "working on it")
    assert run_health(obj) == {"status": "Progressing", "message": "Reconciling: working on it"}


def test_a_refused_spec_change_is_degraded_although_an_older_generation_was_applied() -> None:
    """status.observedGeneration stays at the last generation applied; the condition is current."""
    obj = captured("healthy")
    obj["metadata"]["generation"] = 2
    with_ready(obj, "False", "InvalidSpec", "PingOne refused it", generation=2)
    assert obj["status"]["observedGeneration"] == 1
    assert run_health(obj)["status"] == "Degraded"


def test_a_stale_failure_is_progressing_while_the_new_generation_is_pending() -> None:
    obj = with_ready(captured("degraded-invalid-spec"), "False", "InvalidSpec", "old news", generation=1)
    obj["metadata"]["generation"] = 2
    assert run_health(obj) == {"status": "Progressing", "message": "Waiting for the operator to apply generation 2"}


def test_without_a_generation_on_the_condition_status_observed_generation_is_used() -> None:
    obj = with_ready(captured("healthy"), "True", "Ready", generation=None)
    assert run_health(obj)["status"] == "Healthy"
    obj["metadata"]["generation"] = 2
    assert run_health(obj)["status"] == "Progressing"


def test_a_condition_without_any_generation_is_taken_at_face_value() -> None:
    obj = with_ready(captured("healthy"), "True", "Ready", generation=None)
    del obj["status"]["observedGeneration"]
    assert run_health(obj)["status"] == "Progressing"  # generation 1, nothing says it was applied
    del obj["metadata"]["generation"]
    assert run_health(obj)["status"] == "Healthy"


def test_deleting_with_a_failing_delete_shows_why() -> None:
    obj = with_ready(captured("progressing-deleting"), "False", "PingOneUnavailable", "PingOne 503", generation=2)
    assert run_health(obj) == {
        "status": "Progressing",
        "message": "Deleting: waiting for the operator to finish clean-up and remove its finalizer "
                   "(PingOneUnavailable: PingOne 503)",
    }


@pytest.mark.parametrize("status", [{}, {"conditions": []}, {"pendingCreate": {"name": "x", "environmentId": "e",
                                                                                "startedAt": "t"}}])
def test_status_without_a_ready_condition_is_progressing(status: dict[str, Any]) -> None:
    obj = captured("progressing-not-yet-reconciled")
    obj["status"] = status
    assert run_health(obj)["status"] == "Progressing"


def test_ready_without_a_client_id_still_reports_healthy() -> None:
    obj = captured("healthy")
    del obj["status"]["clientId"]
    assert run_health(obj) == {"status": "Healthy", "message": "PingOne application ready, client ID unknown"}


def test_condition_without_reason_or_message() -> None:
    obj = captured("healthy")
    obj["status"]["conditions"] = [{"type": "Ready", "status": "False", "observedGeneration": 1}]
    assert run_health(obj) == {"status": "Progressing", "message": "Unknown (the operator retries)"}


def test_an_object_without_metadata_does_not_crash_the_script() -> None:
    assert run_health({})["status"] == "Progressing"
    assert run_health({}, health_dir=CONNECTION_DIR)["status"] == "Progressing"


def paused(obj: dict[str, Any], generation: int | None) -> dict[str, Any]:
    conditions = [c for c in obj["status"]["conditions"] if c["type"] != "Synced"]
    synced = {"type": "Synced", "status": "False", "reason": "Paused", "message": "no PingOne calls"}
    if generation is not None:
        synced["observedGeneration"] = generation
    obj["status"]["conditions"] = [*conditions, synced]
    return obj


def test_paused_wins_over_a_ready_condition_of_an_older_generation() -> None:
    obj = captured("healthy")
    obj["metadata"]["generation"] = 2
    obj["spec"]["managementPolicy"] = "Paused"
    assert run_health(paused(obj, 2)) == {"status": "Suspended", "message": "Paused: no PingOne calls"}
    assert run_health(paused(obj, None))["status"] == "Suspended"


def test_paused_in_git_but_not_yet_seen_by_the_operator_is_progressing() -> None:
    """Suspended only once the operator says so: until then it may still be syncing the old spec."""
    obj = captured("healthy")
    obj["metadata"]["generation"] = 2
    obj["spec"]["managementPolicy"] = "Paused"
    assert run_health(obj) == {"status": "Progressing", "message": "Waiting for the operator to apply generation 2"}
    assert run_health(paused(obj, 1))["status"] == "Progressing"  # paused before, and now a new spec


def test_unpaused_is_no_longer_suspended() -> None:
    obj = captured("suspended-paused-after-ready")
    obj["metadata"]["generation"] = 3
    del obj["spec"]["managementPolicy"]
    assert run_health(obj)["status"] == "Progressing"


def test_deleting_a_paused_resource_is_progressing() -> None:
    obj = captured("suspended-paused")
    obj["metadata"]["deletionTimestamp"] = "2026-11-29T06:00:00Z"
    assert run_health(obj)["status"] == "Progressing"


def connection(name: str) -> dict[str, Any]:
    return copy.deepcopy(next(c["obj"] for c in CONNECTION_CASES if c["inputPath"] == f"testdata/{name}.yaml"))


@pytest.mark.parametrize(("reason", "status", "suffix"), [
    ("ConnectionInvalid", "Degraded", ""), ("AuthenticationFailed", "Degraded", ""),
    ("PermissionDenied", "Degraded", ""), ("SecretForbidden", "Degraded", ""),
    ("PingOneUnavailable", "Progressing", " (the operator retries)"),
    ("RateLimited", "Progressing", " (the operator retries)"),
    ("SomeFutureReason", "Progressing", " (the operator retries)"),
])
def test_connection_reasons(reason: str, status: str, suffix: str) -> None:
    obj = connection("healthy")
    obj["status"]["conditions"] = [{"type": "Ready", "status": "False", "reason": reason, "message": "why",
                                    "observedGeneration": 1}]
    assert run_health(obj, health_dir=CONNECTION_DIR) == {"status": status, "message": f"{reason}: why{suffix}"}


def test_connection_with_a_newer_generation_waits_for_the_operator() -> None:
    obj = connection("healthy")
    obj["metadata"]["generation"] = 2
    assert run_health(obj, health_dir=CONNECTION_DIR) == \
        {"status": "Progressing", "message": "Waiting for the operator to check generation 2"}


def test_connection_being_deleted_is_progressing() -> None:
    obj = connection("degraded-secret-missing")
    obj["metadata"]["deletionTimestamp"] = "2026-11-29T06:00:00Z"
    assert run_health(obj, health_dir=CONNECTION_DIR) == {"status": "Progressing", "message": "Deleting"}


# ----------------------------------------------------------------------------------------------
# The resync action
# ----------------------------------------------------------------------------------------------

ACTION_TESTS = yaml.safe_load((ACTIONS_DIR / "action_test.yaml").read_text())
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def action_input(path: str) -> dict[str, Any]:
    return yaml.safe_load((ACTIONS_DIR / path).read_text())


@pytest.mark.parametrize("sandboxed", [True, False], ids=["argocd-cm-libs", "open-libs"])
@pytest.mark.parametrize("case", ACTION_TESTS["discoveryTests"], ids=lambda c: Path(c["inputPath"]).stem)
def test_action_discovery_case(case: dict[str, Any], sandboxed: bool) -> None:
    offered = run_action_discovery(action_input(case["inputPath"]), sandboxed=sandboxed)
    assert [{"name": name, **props} for name, props in sorted(offered.items())] == case["result"]


@pytest.mark.parametrize("sandboxed", [True, False], ids=["argocd-cm-libs", "open-libs"])
@pytest.mark.parametrize("case", ACTION_TESTS["actionTests"], ids=lambda c: Path(c["inputPath"]).stem)
def test_action_case(case: dict[str, Any], sandboxed: bool) -> None:
    """The output is the input plus the annotation (its value: the time it ran, in UTC)."""
    out = run_action(action_input(case["inputPath"]), case["action"], sandboxed=sandboxed)
    expected = action_input(case["expectedOutputPath"])
    assert TIMESTAMP.match(out["metadata"]["annotations"][RESYNC]), out["metadata"]["annotations"]
    out["metadata"]["annotations"][RESYNC] = expected["metadata"]["annotations"][RESYNC]
    assert out == expected


def test_resync_sets_a_new_value_each_second_and_keeps_other_annotations() -> None:
    obj = captured("healthy")
    obj["metadata"]["annotations"][RESYNC] = "2020-01-01T00:00:00Z"
    out = run_action(obj, "resync")
    assert out["metadata"]["annotations"][RESYNC] != "2020-01-01T00:00:00Z"
    assert {k: v for k, v in out["metadata"]["annotations"].items() if k != RESYNC} == \
        {k: v for k, v in obj["metadata"]["annotations"].items() if k != RESYNC}
    assert out["spec"] == obj["spec"] and out["status"] == obj["status"]


def test_resync_on_an_object_without_annotations() -> None:
    obj = captured("healthy")
    del obj["metadata"]["annotations"]
    assert set(run_action(obj, "resync")["metadata"]["annotations"]) == {RESYNC}


def test_every_action_has_a_test_and_the_discovery_offers_only_those() -> None:
    defined = {p.parent.name for p in ACTIONS_DIR.glob("*/action.lua")}
    assert defined == {"resync"}
    assert {c["action"] for c in ACTION_TESTS["actionTests"]} == defined
    assert {r["name"] for c in ACTION_TESTS["discoveryTests"] for r in c["result"]} == defined


# ----------------------------------------------------------------------------------------------
# The sandbox and the copies
# ----------------------------------------------------------------------------------------------

def test_the_sandbox_is_as_strict_as_argocd_cm() -> None:
    """So the cases above prove the script needs nothing argocd-cm scripts lack."""
    ok = {"metadata": {}}
    for script in ('return {status = string.upper("healthy")}', 'return {status = ("x"):upper()}',
                   'return {status = tostring(math.floor(1))}', 'return {status = io.type(1)}'):
        with pytest.raises(LuaError):
            run_health(ok, script=script)
        run_health(ok, script=script, sandboxed=False)  # fine with the open libraries
    assert run_health(ok, script='return {status = "Bogus"}')["status"] == "Unknown"
    assert run_health(ok, script='local t = {}; table.insert(t, os.time()); return {status = "Healthy"}') == \
        {"status": "Healthy"}


def test_the_runtime_is_lua_51() -> None:
    assert run_health({}, script='return {status = "Healthy", message = _VERSION}')["message"] == "Lua 5.1"


LUA_FILES = [HEALTH_LUA, CONNECTION_DIR / "health.lua", ACTIONS_DIR / "discovery.lua",
             ACTIONS_DIR / "resync" / "action.lua"]


def lua_code(path: Path) -> str:
    """A script without comments."""
    return "\n".join(line.split("--", 1)[0] for line in path.read_text().splitlines())


@pytest.mark.parametrize("path", LUA_FILES, ids=lambda p: str(p.relative_to(HEALTH_DIR.parent)))
def test_script_uses_no_string_library_and_no_method_calls(path: Path) -> None:
    code = lua_code(path)
    assert "string." not in code
    assert not re.search(r"[\w\)\]\"']:\w+\(", code), "`:` method call (needs the string library on strings)"


def argocd_cm_data() -> dict[str, str]:
    """What argocd-cm must hold: each key's value, as the scripts make it."""
    actions = {"discovery.lua": (ACTIONS_DIR / "discovery.lua").read_text(),
               "definitions": [{"name": "resync", "action.lua": (ACTIONS_DIR / "resync" / "action.lua").read_text()}]}
    return {HEALTH_KEY: HEALTH_LUA.read_text(), CONNECTION_KEY: (CONNECTION_DIR / "health.lua").read_text(),
            ACTIONS_KEY: actions}


def parsed(data: dict[str, str]) -> dict[str, Any]:
    """argocd-cm data with the actions key's YAML parsed (Argo CD parses it the same way)."""
    return {k: yaml.safe_load(v) if k == ACTIONS_KEY else v for k, v in data.items()}


def docs_snippets() -> dict[str, list[Any]]:
    text = (REPO_ROOT / "docs" / "gitops.md").read_text()
    blocks = re.findall(r"^```yaml\n(.*?)^```", text, flags=re.S | re.M)
    found: dict[str, list[Any]] = {}
    for block in blocks:
        data = (yaml.safe_load(block) or {}).get("data") or {}
        for key, value in parsed({k: v for k, v in data.items() if k.startswith("resource.customizations")}).items():
            found.setdefault(key, []).append(value)
    return found


def test_docs_snippets_are_the_scripts_verbatim() -> None:
    assert docs_snippets() == {key: [value] for key, value in argocd_cm_data().items()}


def test_argocd_cm_patch_is_the_scripts_verbatim() -> None:
    patch = yaml.safe_load((REPO_ROOT / "argocd" / "argocd-cm-patch.yaml").read_text())
    assert patch["kind"] == "ConfigMap" and patch["metadata"]["name"] == "argocd-cm"
    assert parsed(patch["data"]) == argocd_cm_data()


@pytest.mark.parametrize("kind", KINDS)
def test_layout_matches_argocd_builtin_checks(kind: str) -> None:
    """resource_customizations/<group>/<Kind>/{health.lua,health_test.yaml,testdata/}."""
    health_dir = KINDS[kind][0]
    assert health_dir.relative_to(REPO_ROOT / "argocd" / "resource_customizations").parts == \
        ("pingone-operator.dev", kind)
    spec = yaml.safe_load((health_dir / "health_test.yaml").read_text())
    assert set(spec) == {"tests"}
    for case in spec["tests"]:
        assert set(case) == {"healthStatus", "inputPath"} and set(case["healthStatus"]) == {"status", "message"}


def test_actions_layout_matches_argocd_builtin_actions() -> None:
    """<Kind>/actions/{discovery.lua,action_test.yaml,<action>/action.lua,testdata/}."""
    assert (ACTIONS_DIR / "discovery.lua").is_file() and (ACTIONS_DIR / "resync" / "action.lua").is_file()
    assert set(ACTION_TESTS) == {"discoveryTests", "actionTests"}
    for case in ACTION_TESTS["discoveryTests"]:
        assert set(case) == {"inputPath", "result"} and (ACTIONS_DIR / case["inputPath"]).is_file()
    for case in ACTION_TESTS["actionTests"]:
        assert set(case) == {"action", "inputPath", "expectedOutputPath"}
