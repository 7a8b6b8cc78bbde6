"""The Argo CD health check for PingOneApplication, run in Lua 5.1 the way Argo CD runs it.

- Every case of health_test.yaml (Argo CD's own test layout; the objects in testdata/ were written
  by the real operator, see tests/e2e/test_gitops.py), in the restricted library set that
  argocd-cm scripts get and with the open libraries that Argo CD's unit tests use.
- Edge cases derived from those objects.
- The copies users paste (docs/gitops.md, argocd/argocd-cm-patch.yaml) are health.lua verbatim.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from lupa.lua51 import LuaError

from tests.gitops.argocd_lua import HEALTH_DIR, HEALTH_LUA, REPO_ROOT, VALID_STATUSES, load_cases, run_health

HEALTH_KEY = "resource.customizations.health.pingone-operator.dev_PingOneApplication"
CASES = load_cases()


@pytest.mark.parametrize("sandboxed", [True, False], ids=["argocd-cm-libs", "open-libs"])
@pytest.mark.parametrize("case", CASES, ids=[Path(c["inputPath"]).stem for c in CASES])
def test_health_test_yaml_case(case: dict[str, Any], sandboxed: bool) -> None:
    assert run_health(case["obj"], sandboxed=sandboxed) == case["healthStatus"]


def test_every_testdata_file_is_a_case_and_every_case_has_a_message() -> None:
    files = {f"testdata/{p.name}" for p in (HEALTH_DIR / "testdata").glob("*.yaml")}
    assert files == {c["inputPath"] for c in CASES}
    for case in CASES:
        assert case["healthStatus"]["status"] in VALID_STATUSES
        assert case["healthStatus"]["message"]


def test_testdata_covers_each_health_status_the_script_returns() -> None:
    assert {c["healthStatus"]["status"] for c in CASES} == {"Healthy", "Progressing", "Degraded"}


def test_testdata_are_real_operator_objects_without_noise() -> None:
    for case in CASES:
        obj, meta = case["obj"], case["obj"]["metadata"]
        assert obj["apiVersion"] == "pingone-operator.dev/v1alpha1" and obj["kind"] == "PingOneApplication"
        assert not {"managedFields", "uid", "resourceVersion"} & set(meta), case["inputPath"]
        assert "kubectl.kubernetes.io/last-applied-configuration" not in (meta.get("annotations") or {})
        if "status" in obj:  # the operator has been at it: its finalizer and kopf's mark are there
            assert meta["finalizers"] == ["pingone-operator.dev/finalizer"], case["inputPath"]
            assert meta["annotations"]["pingone-operator.dev/kopf-managed"] == "yes", case["inputPath"]


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


def lua_code() -> str:
    """health.lua without comments."""
    return "\n".join(line.split("--", 1)[0] for line in HEALTH_LUA.read_text().splitlines())


def test_script_uses_no_string_library_and_no_method_calls() -> None:
    code = lua_code()
    assert "string." not in code
    assert not re.search(r"[\w\)\]\"']:\w+\(", code), "`:` method call (needs the string library on strings)"


def docs_snippets() -> list[str]:
    text = (REPO_ROOT / "docs" / "gitops.md").read_text()
    blocks = re.findall(r"^```yaml\n(.*?)^```", text, flags=re.S | re.M)
    return [yaml.safe_load(b)["data"][HEALTH_KEY] for b in blocks if HEALTH_KEY in b]


def test_docs_snippet_is_health_lua_verbatim() -> None:
    assert docs_snippets() == [HEALTH_LUA.read_text()]


def test_argocd_cm_patch_is_health_lua_verbatim() -> None:
    patch = yaml.safe_load((REPO_ROOT / "argocd" / "argocd-cm-patch.yaml").read_text())
    assert patch["kind"] == "ConfigMap" and patch["metadata"]["name"] == "argocd-cm"
    assert patch["data"] == {HEALTH_KEY: HEALTH_LUA.read_text()}


def test_layout_matches_argocd_builtin_checks() -> None:
    """resource_customizations/<group>/<Kind>/{health.lua,health_test.yaml,testdata/}."""
    assert HEALTH_DIR.relative_to(REPO_ROOT / "argocd" / "resource_customizations").parts == \
        ("pingone-operator.dev", "PingOneApplication")
    spec = yaml.safe_load((HEALTH_DIR / "health_test.yaml").read_text())
    assert set(spec) == {"tests"}
    for case in spec["tests"]:
        assert set(case) == {"healthStatus", "inputPath"} and set(case["healthStatus"]) == {"status", "message"}
