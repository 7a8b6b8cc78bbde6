"""Small helpers for e2e tests: the simulator's admin API, waiting, and resource access."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[2]
SEED = json.loads((ROOT.parent / "shared/reference/seed-request.json").read_text())
API_VERSION = "pingone-operator.dev/v1alpha1"
T = TypeVar("T")


def parse_ts(stamp: str) -> float:
    """Seconds since the epoch of an RFC 3339 stamp (the simulator's request log)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def wait_for(check: Callable[[], T], timeout: float = 60.0, what: str = "condition", interval: float = 0.25) -> T:
    """Poll until check() returns something truthy; fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


class SimulatorAdmin:
    """The simulator's /_simulator/ test endpoints."""

    def __init__(self, simulator: Any) -> None:
        self.env = simulator.environment_id
        self.worker_id = simulator.client_id  # the operator's own worker application
        self.http = httpx.Client(base_url=simulator.admin_url, timeout=10)

    def requests(self, method: str | None = None, path_contains: str = "/applications") -> list[dict[str, Any]]:
        entries = self.http.get("/requests").raise_for_status().json()["requests"]
        return [e for e in entries if (method is None or e["method"] == method) and path_contains in e["path"]]

    def clear_requests(self) -> None:
        self.http.delete("/requests").raise_for_status()

    def writes(self) -> list[dict[str, Any]]:
        return [e for e in self.requests() if e["method"] in ("POST", "PUT", "DELETE")]

    def apps(self) -> list[dict[str, Any]]:
        return self.http.get(f"/environments/{self.env}/applications").raise_for_status().json()["applications"]

    def app(self, app_id: str) -> dict[str, Any] | None:
        response = self.http.get(f"/environments/{self.env}/applications/{app_id}")
        return None if response.status_code == 404 else response.raise_for_status().json()

    def secret(self, app_id: str) -> dict[str, Any]:
        return self.http.get(f"/environments/{self.env}/applications/{app_id}/secret").raise_for_status().json()

    def patch_app(self, app_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Change an application behind the operator's back."""
        return self.http.patch(f"/environments/{self.env}/applications/{app_id}", json=fields).raise_for_status().json()

    def put_app(self, app_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.http.put(f"/environments/{self.env}/applications/{app_id}", json=body).raise_for_status().json()

    def faults(self, **settings: Any) -> None:
        self.http.put("/faults", json=settings).raise_for_status()

    def fail_next(self, **rule: Any) -> None:
        """{count, status, method, path_regex, body: html|truncated|no-id}"""
        self.http.post("/faults/fail-next", json=rule).raise_for_status()

    def reset_faults(self) -> None:
        self.http.delete("/faults").raise_for_status()

    def role_assignments(self, app_id: str) -> list[dict[str, Any]]:
        path = f"/environments/{self.env}/applications/{app_id}/roleAssignments"
        return self.http.get(path).raise_for_status().json()["roleAssignments"]


class Kube:
    """kubectl against the test cluster, for one namespace (as the cluster admin)."""

    def __init__(self, control_plane: Any, namespace: str) -> None:
        self.cp = control_plane
        self.ns = namespace

    def kubectl(self, *args: str, input: str | None = None, check: bool = True):
        return self.cp.kubectl(*args, input=input, check=check)

    def apply(self, obj: dict[str, Any], *args: str, check: bool = True):
        obj = {**obj, "metadata": {"namespace": self.ns, **obj["metadata"]}}
        return self.kubectl("apply", "-f", "-", *args, input=json.dumps(obj), check=check)

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        result = self.kubectl("get", kind, name, "-n", self.ns, "-o", "json", check=False)
        return json.loads(result.stdout) if result.returncode == 0 else None

    def delete(self, kind: str, name: str, wait: bool = False) -> None:
        self.kubectl("delete", kind, name, "-n", self.ns, f"--wait={str(wait).lower()}")

    def events(self, name: str) -> list[dict[str, Any]]:
        result = self.kubectl("get", "events", "-n", self.ns, "-o", "json",
                              "--field-selector", f"involvedObject.name={name}")
        return json.loads(result.stdout)["items"]

    def event_reasons(self, name: str) -> list[str]:
        return [e["reason"] for e in sorted(self.events(name), key=lambda e: e.get("firstTimestamp") or "")]


def application(resource_name: str, spec: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "PingOneApplication", "metadata": {"name": resource_name},
            "spec": {**(spec if spec is not None else SEED), **extra}}


def condition(obj: dict[str, Any] | None, type_: str = "Ready") -> dict[str, Any]:
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c["type"] == type_:
            return c
    return {}


def ready(kube: Kube, name: str) -> dict[str, Any] | None:
    obj = kube.get("p1app", name)
    return obj if condition(obj).get("status") == "True" and obj["status"].get("clientId") else None


def secret_data(kube: Kube, name: str) -> dict[str, str]:
    """A Secret's data, decoded ({} when it does not exist)."""
    secret = kube.get("secret", name)
    return {k: base64.b64decode(v).decode() for k, v in ((secret or {}).get("data") or {}).items()}


async def create_app(simulator: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Create an application in the simulator with the project's own client (as someone else would)."""
    from pingone_operator.config import load_pingone_settings
    from pingone_operator.pingone.client import PingOneClient

    client = PingOneClient.from_settings(load_pingone_settings(simulator.operator_env()))
    try:
        return await client.create_application(simulator.environment_id, body)
    finally:
        await client.aclose()


def record_create_intent(kube: Kube, resource_name: str, app_name: str, environment_id: str) -> None:
    """The status a crash between POST and the id's status write leaves: the create intent, now."""
    from pingone_operator.plan.conditions import now_rfc3339

    intent = {"status": {"pendingCreate": {"name": app_name, "environmentId": environment_id,
                                           "startedAt": now_rfc3339()}}}
    kube.kubectl("patch", "p1app", resource_name, "-n", kube.ns, "--subresource=status", "--type=merge",
                 "-p", json.dumps(intent))
