"""`make demo`: the operator end to end on a local API server and the PingOne simulator.

Starts a throw-away kube-apiserver + etcd + kube-controller-manager and a PingOne simulator on
loopback, runs `pingone-operator run` against them, and walks through the life of one
application: create, status, Secret, a spec change (one PUT), drift correction, deletion.
`--keep` leaves everything running until Ctrl-C so you can poke at it with kubectl.
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from pathlib import Path

import httpx
import yaml

from testbed.cluster import ControlPlane, ControlPlaneError
from testbed.launcher import Launcher, Operator, Simulator, install_crds
from testbed.process import ProcessError

ROOT = Path(__file__).resolve().parents[1]

NAMESPACE = "demo"
EXAMPLES = ROOT / "examples"
# The walk-through application; every other example (but the adoption one, which needs an
# existing application's id) is applied at the end.
SEED = yaml.safe_load((EXAMPLES / "web-app-client-secret-jwt.yaml").read_text())["spec"]
SKIPPED_EXAMPLES = {"observe-only-adoption.yaml"}


def step(text: str) -> None:
    print(f"\n\033[1m==> {text}\033[0m", flush=True)


def show(text: str) -> None:
    print("    " + text.rstrip().replace("\n", "\n    "), flush=True)


def wait_for(check, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise SystemExit(f"demo: timed out waiting for {what}")


class Demo:
    def __init__(self, cp: ControlPlane, sim: Simulator) -> None:
        self.cp, self.sim = cp, sim
        self.admin = httpx.Client(base_url=sim.admin_url, timeout=10)

    def kubectl(self, *args: str, input: str | None = None) -> str:
        return self.cp.kubectl(*args, input=input).stdout

    def resource(self) -> dict:
        return json.loads(self.kubectl("get", "p1app", "shared-web-app", "-n", NAMESPACE, "-o", "json"))

    def apply(self, spec: dict) -> None:
        obj = {"apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneApplication",
               "metadata": {"name": "shared-web-app", "namespace": NAMESPACE}, "spec": spec}
        show(self.kubectl("apply", "-f", "-", input=json.dumps(obj)))

    def pingone_writes(self) -> list[str]:
        entries = self.admin.get("/requests").json()["requests"]
        return [f"{e['method']} {e['path']} -> {e['status']}" for e in entries
                if e["method"] in ("POST", "PUT", "DELETE") and "/applications" in e["path"]]

    def ready(self):
        obj = self.resource()
        conditions = {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}
        return obj if conditions.get("Ready", {}).get("status") == "True" else None

    def run(self) -> None:
        step("Apply the seed PingOneApplication (the body of PingOne's 'Update Application' request as the spec)")
        self.apply(SEED)
        obj = wait_for(self.ready, "Ready=True")
        show(self.kubectl("get", "p1app", "-n", NAMESPACE))
        step("Status written back by the operator (PingOne's clientId and updatedAt, verbatim)")
        status = {k: v for k, v in obj["status"].items() if k != "conditions"}
        show(json.dumps(status, indent=2))
        step("PingOne calls that wrote something")
        show("\n".join(self.pingone_writes()))

        step("The credentials Secret (values of secrets masked here)")
        secret = json.loads(self.kubectl("get", "secret", "shared-web-app-oidc", "-n", NAMESPACE, "-o", "json"))
        for key, value in sorted(secret["data"].items()):
            text = base64.b64decode(value).decode()
            show(f"{key:28} {'*' * 12 if 'secret' in key else text}")

        step("Change the spec: exactly one PUT of the full application")
        self.admin.delete("/requests")
        before = obj["status"]["updatedAt"]
        self.apply({**SEED, "description": "Edited in Git"})
        obj = wait_for(lambda: (o := self.resource())["status"].get("updatedAt") != before and o, "the PUT")
        show("\n".join(self.pingone_writes()))
        show(f"updatedAt {before} -> {obj['status']['updatedAt']}")

        step("Someone disables the application in PingOne behind the operator's back")
        app_id = obj["status"]["applicationId"]
        env = obj["status"]["environmentId"]
        self.admin.patch(f"/environments/{env}/applications/{app_id}", json={"enabled": False})
        show("enabled=false in PingOne; waiting for the drift check (DRIFT_INTERVAL_SECONDS=5)...")
        wait_for(lambda: self.admin.get(f"/environments/{env}/applications/{app_id}").json()["enabled"], "drift fix")
        show("restored to enabled=true")
        show(self.kubectl("get", "events", "-n", NAMESPACE, "--field-selector",
                          "involvedObject.name=shared-web-app", "--sort-by=.firstTimestamp",
                          "-o", "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message"))

        step("Delete the resource: the finalizer deletes the PingOne application, GC removes the Secret")
        show(self.kubectl("delete", "p1app", "shared-web-app", "-n", NAMESPACE))
        gone = self.admin.get(f"/environments/{env}/applications/{app_id}").status_code == 404
        show(f"application {app_id} in PingOne: {'deleted' if gone else 'still there?!'}")

        step("Apply every example in examples/: one of each application type and auth method")
        for path in sorted(EXAMPLES.glob("*.yaml")):
            if path.name not in SKIPPED_EXAMPLES:
                # Examples that name the environment say ENVIRONMENT_ID: here, the simulator's.
                text = path.read_text().replace("ENVIRONMENT_ID", env)
                show(self.kubectl("apply", "-n", NAMESPACE, "-f", "-", input=text))
        wait_for(self.all_ready, "every example Ready", timeout=90)
        show(self.kubectl("get", "p1app", "-n", NAMESPACE, "-o", "wide"))
        step("Their Secrets' keys (client-secret only for the CLIENT_SECRET_* methods)")
        secrets = json.loads(self.kubectl("get", "secrets", "-n", NAMESPACE, "-l",
                                          "app.kubernetes.io/managed-by=pingone-operator", "-o", "json"))["items"]
        for secret in secrets:
            show(f"{secret['metadata']['name']:32} {' '.join(sorted(secret['data']))}")
        self.token_with_granted_scopes("orders-client-oidc", "orders:read orders:write", "orders:admin")

    def token_with_granted_scopes(self, secret_name: str, granted: str, not_granted: str) -> None:
        step(f"The service client signs in with only its Secret: a token for {granted!r}, none for {not_granted!r}")
        secret = json.loads(self.kubectl("get", "secret", secret_name, "-n", NAMESPACE, "-o", "json"))
        data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
        for scope in (granted, not_granted):
            form = {"grant_type": "client_credentials", "scope": scope}
            if data["token-endpoint-auth-method"] == "CLIENT_SECRET_POST":
                form.update(client_id=data["client-id"], client_secret=data["client-secret"])
                answer = httpx.post(data["token-endpoint"], data=form, timeout=10)
            else:
                answer = httpx.post(data["token-endpoint"], data=form, auth=(data["client-id"], data["client-secret"]),
                                    timeout=10)
            body = answer.json()
            shown = f"scope={body.get('scope')!r} token_type={body.get('token_type')}" if answer.status_code == 200 \
                else f"error={body.get('error')!r}"
            show(f"POST {data['token-endpoint']} scope={scope!r} -> {answer.status_code} {shown}")

    def all_ready(self) -> bool:
        items = json.loads(self.kubectl("get", "p1app", "-n", NAMESPACE, "-o", "json"))["items"]
        return bool(items) and all(
            any(c["type"] == "Ready" and c["status"] == "True" for c in (i.get("status") or {}).get("conditions", []))
            for i in items
        )


def keep_running(operator: Operator) -> None:
    while operator.running:
        time.sleep(1)
    raise SystemExit(f"demo: the operator exited ({operator.returncode}); its log: {operator.process.log_path}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--keep", action="store_true", help="leave everything running until Ctrl-C")
    args = parser.parse_args()

    step("Starting a local control plane (kube-apiserver, etcd, kube-controller-manager)")
    with ControlPlane() as cp, Launcher(cp.log_dir) as launch:
        install_crds(cp)
        cp.kubectl("create", "namespace", NAMESPACE)

        step("Starting the PingOne simulator and the operator (signing in with CLIENT_SECRET_JWT)")
        sim = launch.simulator()
        # The administrator lets WORKER applications be given the read-only role (the worker example).
        operator = launch.operator(sim, cp.kubeconfig, extra_env={
            "DRIFT_INTERVAL_SECONDS": "5", "DEFAULT_CONNECTION_ALLOWED_ROLES": "Identity Data Read Only"})
        show(f"simulator {sim.api_url}; operator log {operator.process.log_path}")
        Demo(cp, sim).run()
        if args.keep:
            step(f"Still running. export KUBECONFIG={cp.kubeconfig}   (Ctrl-C to stop)")
            keep_running(operator)
    step("Done: everything stopped and cleaned up.")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except (ControlPlaneError, ProcessError) as exc:  # their messages carry the failing log's tail
        raise SystemExit(f"demo: {exc}")
    except KeyboardInterrupt:
        raise SystemExit(130)
