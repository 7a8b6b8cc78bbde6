"""kstatus, the status library of sigs.k8s.io/cli-utils (what Flux, kpt and `cli-utils` apply wait
with), on PingOneApplications the real operator wrote: each state it produces must read as what it
is. kstatus runs as itself: ``testbed/kstatus/main.go``, built from Go modules by
``testbed/build.sh kstatus``, reading objects on stdin.

- On live objects (e2e): the operator drives a resource into each state, kstatus judges it. With
  ``PINGONE_CAPTURE_KSTATUS_TESTDATA=1`` the objects are written to ``kstatus/testdata/``.
- On those captured objects (no control plane): the same verdicts.

The expected verdicts, and why:

| State | kstatus | Because |
|---|---|---|
| ready | Current | the operator is done with this generation |
| creating (PingOne answers 503, the operator retries) | InProgress | it is still working on it |
| refused (PingOne refused the spec on create) | Failed | it cannot go on until the spec changes |
| refused-change (a Ready resource, then a spec PingOne refuses) | Failed | the same, for generation 2 |
| paused (managementPolicy: Paused) | Current | the operator has done all it will do |
| deleting (a finalizer still holds it) | Terminating | it is going away |
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from testbed.cluster import BUILD_SCRIPT
from tests.e2e.helpers import application, condition, ready, wait_for

HERE = Path(__file__).resolve().parent
TESTDATA = HERE / "kstatus" / "testdata"
CAPTURE = os.environ.get("PINGONE_CAPTURE_KSTATUS_TESTDATA", "") not in ("", "0")
BAD_CORS = {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://a.example.com/path"]}
HOLD = "e2e.pingone-operator.dev/hold"  # our finalizer, to look at a resource while it is deleted

EXPECTED = {
    "ready": "Current",
    "creating": "InProgress",
    "refused": "Failed",
    "refused-change": "Failed",
    "paused": "Current",
    "deleting": "Terminating",
}


def kstatus_binary() -> Path:
    result = subprocess.run(["bash", str(BUILD_SCRIPT), "print-kstatus"], capture_output=True, text=True, check=False)
    path = Path(result.stdout.strip())
    if result.returncode != 0 or not path.is_file():
        pytest.skip(f"kstatus is not built yet ({path}); `make controlplane` builds it")
    return path


def kstatus(*objects: dict[str, Any]) -> list[dict[str, Any]]:
    """kstatus's verdict on each object: {"name", "status", "message", "conditions"}."""
    result = subprocess.run([str(kstatus_binary())], input="\n".join(json.dumps(o) for o in objects),
                            capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in result.stdout.splitlines()]


def captured(state: str) -> dict[str, Any]:
    return yaml.safe_load((TESTDATA / f"{state}.yaml").read_text())


# ----------------------------------------------------------------------------------------------
# Captured objects (no control plane)
# ----------------------------------------------------------------------------------------------

def test_every_state_has_captured_testdata() -> None:
    assert {p.stem for p in TESTDATA.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("state", EXPECTED)
def test_kstatus_of_captured_object(state: str) -> None:
    [verdict] = kstatus(captured(state))
    assert verdict["status"] == EXPECTED[state], verdict


def test_the_program_reads_a_stream_and_lists() -> None:
    objects = [captured("ready"), captured("deleting")]
    assert [v["status"] for v in kstatus(*objects)] == ["Current", "Terminating"]
    as_list = {"apiVersion": "v1", "kind": "List", "items": objects}
    assert [v["status"] for v in kstatus(as_list)] == ["Current", "Terminating"]


def test_a_spec_change_the_operator_has_not_seen_is_in_progress() -> None:
    """kstatus's generation rule: status.observedGeneration behind metadata.generation."""
    obj = captured("ready")
    obj["metadata"]["generation"] = obj["status"]["observedGeneration"] + 1
    [verdict] = kstatus(obj)
    assert verdict["status"] == "InProgress", verdict


# ----------------------------------------------------------------------------------------------
# Live objects (the operator, the PingOne simulator, a real API server)
# ----------------------------------------------------------------------------------------------

def sanitized(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    for key in ("managedFields", "uid", "resourceVersion"):
        meta.pop(key, None)
    (meta.get("annotations") or {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    meta["namespace"] = "team-a"
    return obj


def drive(state: str, kube, admin) -> dict[str, Any]:
    """Bring a PingOneApplication into `state` with the running operator; return the live object."""
    name = f"kstatus-{state}"

    def reason(reason: str, generation: int = 1):
        return lambda: (o := kube.get("p1app", name)) and condition(o).get("reason") == reason \
            and condition(o).get("observedGeneration") == generation and o

    if state == "creating":
        admin.faults(fail_next=[{"method": "POST", "path_regex": "/applications", "status": 503, "count": 10000}])
        kube.apply(application(name))
        return wait_for(reason("PingOneUnavailable"), what="PingOneUnavailable while creating")
    if state == "refused":
        kube.apply(application(name, corsSettings=BAD_CORS))
        return wait_for(reason("InvalidSpec"), what="InvalidSpec")
    if state == "paused":
        kube.apply(application(name, managementPolicy="Paused"))
        return wait_for(lambda: (o := kube.get("p1app", name)) and condition(o, "Synced").get("reason") == "Paused"
                        and o, what="Synced=False Paused")
    kube.apply(application(name))
    obj = wait_for(lambda: ready(kube, name), what="Ready")
    if state == "refused-change":
        kube.apply(application(name, corsSettings=BAD_CORS))
        return wait_for(reason("InvalidSpec", 2), what="InvalidSpec for generation 2")
    if state == "deleting":
        kube.kubectl("patch", "p1app", name, "-n", kube.ns, "--type=json",
                     "-p", json.dumps([{"op": "add", "path": "/metadata/finalizers/-", "value": HOLD}]))
        kube.delete("p1app", name, wait=False)
        obj = wait_for(lambda: (o := kube.get("p1app", name)) and o["metadata"].get("deletionTimestamp") and o,
                       what="deletionTimestamp")
    return obj


@pytest.mark.e2e
@pytest.mark.parametrize("state", EXPECTED)
def test_kstatus_of_live_object(state: str, kube, admin, operator) -> None:
    obj = drive(state, kube, admin)
    try:
        if CAPTURE:
            TESTDATA.mkdir(parents=True, exist_ok=True)
            (TESTDATA / f"{state}.yaml").write_text(yaml.safe_dump(sanitized(json.loads(json.dumps(obj))),
                                                                   sort_keys=False, width=4096))
        [verdict] = kstatus(obj)
        assert verdict["status"] == EXPECTED[state], (verdict, obj.get("status"))
    finally:
        if state == "deleting":
            kube.kubectl("patch", "p1app", obj["metadata"]["name"], "-n", kube.ns, "--type=merge",
                         "-p", '{"metadata":{"finalizers":null}}', check=False)
