"""The image, built and run for real (issue #16 item 6).

testbed/image.py builds the Dockerfile with podman on a debootstrapped Debian (no registry image
can be pulled here; the image is tagged by a hash of its build context, so this costs nothing when
`make image` already built it). Then:

- what is in it: the base plus the virtualenv, no simulator, no tests, no pip, a bounded size;
- `podman kube play` runs the chart's own rendered Deployment (its args, env, securityContext and
  /tmp emptyDir: non-root 65532, read-only root, no capabilities) against the test bed's API
  server and the PingOne simulator, with every shell of the image masked, after the chart's other
  objects (ServiceAccount, RBAC, Secret, Secrets policy) were applied as `helm install` would.
  A PingOneApplication becomes Ready=True, /healthz and /metrics answer, and SIGTERM stops it
  cleanly. `for_podman` lists what podman 4.3 cannot do the Kubernetes way and what stands in.

Everything runs as root (apt-get, debootstrap, podman's system store), as on CI.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from testbed.image import Image, ImageError, ensure_image, podman
from testbed.launcher import install_crds
from testbed.process import free_port, http_get
from tests.install.helpers import find

pytestmark = [pytest.mark.e2e, pytest.mark.image]

# The venv's dependencies (the kubernetes client alone is about 125 MB) on a 128 MB Debian base
# come to about 305 MB: this catches a build tool, a cache or a second copy getting in.
MAX_SIZE = 350_000_000
VENV = "opt/pingone-operator"
SITE = f"{VENV}/lib/python3.11/site-packages"  # bookworm's python3
KUBECONFIG_DIR = "/var/run/pingone-operator"
# On the pods this test plays, so that one left behind by a killed run is removed by the next.
POD_LABEL = "pingone-operator.dev/image-test"
APPLICATION = {
    "apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneApplication",
    "spec": {"name": "Image-Test", "enabled": True, "type": "WEB_APP", "protocol": "OPENID_CONNECT",
             "grantTypes": ["AUTHORIZATION_CODE"], "responseTypes": ["CODE"],
             "redirectUris": ["https://image.example.com/callback"], "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"},
}


@pytest.fixture(scope="module")
def image(pytestconfig: pytest.Config) -> Image:
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    try:
        # A cold build's progress lines show through pytest's capturing.
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            return ensure_image()
    except ImageError as exc:
        pytest.fail(f"the image cannot be built on this machine: {exc}", pytrace=False)


@pytest.fixture(scope="module")
def image_root(image: Image) -> Iterator[Path]:
    """The image's filesystem, read-only through podman's store."""
    yield Path(podman("image", "mount", image.tag).stdout.strip())
    podman("image", "unmount", image.tag, check=False)


@pytest.fixture(scope="module")
def base_root(image: Image) -> Iterator[Path]:
    yield Path(podman("image", "mount", image.base).stdout.strip())
    podman("image", "unmount", image.base, check=False)


def _tree(root: Path) -> set[str]:
    paths = set()
    for folder, dirs, files in os.walk(root):
        paths.update(os.path.relpath(os.path.join(folder, name), root) for name in dirs + files)
    return paths


# ---- what is in the image -------------------------------------------------------------------


def test_image_configuration(image: Image):
    config = json.loads(podman("image", "inspect", "--format", "{{json .Config}}", image.tag).stdout)
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["pingone-operator", "run"], "exec form: no shell between podman and kopf"
    assert not config.get("Cmd"), "the chart's args follow `run`"
    assert "8080/tcp" in config["ExposedPorts"]
    assert image.size < MAX_SIZE, f"{image.size / 1e6:.0f} MB"


def test_image_is_the_base_plus_the_virtualenv(image_root: Path, base_root: Path):
    added = _tree(image_root) - _tree(base_root)
    # etc/hosts: an empty mount point the builder leaves. Nothing of the build stage (/src).
    assert {p for p in added if p != VENV and not p.startswith(f"{VENV}/")} <= {"etc/hosts"}
    assert not (image_root / "src").exists()


def test_image_has_no_simulator_tests_or_pip(image_root: Path):
    site = image_root / SITE
    ours = {p.name for p in site.iterdir()}
    assert "pingone_operator" in ours
    assert not ours & {"pingone_simulator", "tests", "testbed", "demo", "bench", "pip"}, ours
    assert not list(site.glob("pip-*.dist-info"))
    package = sorted(p.relative_to(site).as_posix() for p in (site / "pingone_operator").rglob("*.py"))
    assert package and not [p for p in package if "/test" in p or p.rsplit("/", 1)[-1].startswith("test_")]
    (record,) = site.glob("pingone_operator-*.dist-info/RECORD")
    assert "pingone_simulator" not in record.read_text()
    # Bytecode is compiled at build time: the read-only root is never written at start-up.
    assert list((site / "pingone_operator" / "__pycache__").glob("*.pyc"))
    assert not list(image_root.glob(f"{VENV}/bin/pip*"))


# ---- the chart's Deployment, run by podman ----------------------------------------------------


def image_shells(root: Path) -> list[str]:
    """The real files behind /etc/shells (/bin/sh -> /usr/bin/dash, ...), as in-image paths."""
    found = set()
    for line in (root / "etc/shells").read_text().splitlines():
        if line.startswith("/"):
            real = (root / line.lstrip("/")).resolve()
            if real.is_file() and real.is_relative_to(root):
                found.add("/" + real.relative_to(root).as_posix())
    return sorted(found)


def test_shell_masking_has_teeth(image: Image, image_root: Path):
    """The run below finds no usable shell because it masks them: the Debian base has some."""
    assert image_shells(image_root)
    result = podman("run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", image.tag, "-c", "true",
                    check=False, timeout=60)
    assert result.returncode == 0, result.stderr


def for_podman(deployment: dict[str, Any], *, kubeconfig_dir: Path, shells: list[str],
               empty_file: Path) -> dict[str, Any]:
    """The chart's Deployment for `podman kube play`: what podman does not do as Kubernetes does,
    done another way. Its image, args, env, securityContext, /tmp emptyDir and resources stay."""
    deployment = copy.deepcopy(deployment)
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    # The test bed's API server and simulator listen on the host's loopback.
    pod["hostNetwork"] = True
    # On the host's network the ports are the host's: podman refuses port mappings there.
    container.pop("ports", None)
    # podman resolves fieldRef metadata.name (POD_NAME) but not metadata.namespace.
    for env in container["env"]:
        if env.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
            del env["valueFrom"]
            env["value"] = deployment["metadata"]["namespace"]
    # podman mounts no ServiceAccount token: the same token, in a kubeconfig, read-only.
    container["env"].append({"name": "KUBECONFIG", "value": f"{KUBECONFIG_DIR}/kubeconfig"})
    container["volumeMounts"].append({"name": "kubeconfig", "mountPath": KUBECONFIG_DIR, "readOnly": True})
    pod["volumes"].append({"name": "kubeconfig", "hostPath": {"path": str(kubeconfig_dir), "type": "Directory"}})
    # podman turns an httpGet probe into `curl` inside the container, run from systemd timers: the
    # image has neither curl nor (usable) shell, this machine no systemd. The test GETs /healthz.
    container.pop("livenessProbe", None)
    # Every shell masked by an empty file: nothing may need one at run time.
    for i, shell in enumerate(shells):
        container["volumeMounts"].append({"name": f"no-shell-{i}", "mountPath": shell, "readOnly": True})
        pod["volumes"].append({"name": f"no-shell-{i}", "hostPath": {"path": str(empty_file), "type": "File"}})
    return deployment


def podman_secret(secret: dict[str, Any]) -> str:
    """The chart's Secret as podman's secretKeyRef reads it: a JSON object of base64 values."""
    data = dict(secret.get("data") or {})
    for key, value in (secret.get("stringData") or {}).items():
        data[key] = base64.b64encode(value.encode()).decode()
    return json.dumps(data)


class Container:
    """The operator's container in the pod `podman kube play` made of the Deployment."""

    def __init__(self, name: str) -> None:
        self.name = name

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def inspect(self, template: str) -> str:
        return podman("inspect", "--format", template, self.name).stdout.strip()

    def python(self, code: str) -> Any:
        """Run Python in the container (as its user, with its restrictions); its JSON output."""
        result = podman("exec", self.name, "python", "-c", code, check=False, timeout=60)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def until(self, check, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            if self.inspect("{{.State.Running}}") != "true":
                break
            time.sleep(0.5)
        pytest.fail(f"{what}: not within {timeout:.0f} s (container {self.inspect('{{.State.Status}}')})\n"
                    f"--- container log (tail) ---\n{chr(10).join(self.logs().splitlines()[-60:])}", pytrace=False)


@pytest.fixture
def chart_in_podman(image: Image, image_root: Path, helm, render, kubectl, sa_kubeconfig, simulator_factory,
                    control_plane, namespace, tmp_path) -> Iterator[dict[str, Any]]:
    """The chart, installed: its objects (but the Deployment) in the API server, its Deployment
    in podman. Yields the container, ports and simulator; removes it all afterwards."""
    install_crds(control_plane)
    simulator = simulator_factory(auth_method="CLIENT_SECRET_BASIC")  # the chart's default method
    repository, tag = image.tag.rsplit(":", 1)
    ports = {"healthz": free_port(), "metrics": free_port()}
    release = f"img-{secrets.token_hex(3)}"
    objects = render({
        "image": {"repository": repository, "tag": tag},
        "pingone": {"apiUrl": simulator.api_url, "authUrl": simulator.auth_url,
                    "environmentId": simulator.environment_id, "createSecret": True,
                    "clientId": simulator.client_id, "clientSecret": simulator.client_secret},
        "watchNamespaces": [namespace],
        "livenessProbe": {"port": ports["healthz"]},
        "metrics": {"enabled": True, "port": ports["metrics"]},
        "podLabels": {POD_LABEL: "true"},
    }, release=release, namespace=namespace)
    deployment = find(objects, "Deployment")
    secret = find(objects, "Secret")
    rest = [o for o in objects if o["kind"] != "Deployment"]
    kubectl("apply", "-f", "-", input=yaml.safe_dump_all(rest))

    # The ServiceAccount's token as a kubeconfig the container's user can read (fsGroup-like).
    sa = find(objects, "ServiceAccount")["metadata"]["name"]
    kubeconfig_dir = tmp_path / "kubeconfig"
    kubeconfig_dir.mkdir(mode=0o750)
    (kubeconfig_dir / "kubeconfig").write_bytes(sa_kubeconfig(namespace, sa).read_bytes())
    for path, mode in ((kubeconfig_dir, 0o750), (kubeconfig_dir / "kubeconfig", 0o440)):
        os.chown(path, 0, 65532)
        os.chmod(path, mode)
    empty = tmp_path / "no-shell"
    empty.write_bytes(b"")
    shells = image_shells(image_root)
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text(yaml.safe_dump(for_podman(deployment, kubeconfig_dir=kubeconfig_dir, shells=shells,
                                                  empty_file=empty)))

    stale = podman("pod", "ls", "--quiet", "--filter", f"label={POD_LABEL}=true").stdout.split()
    if stale:
        podman("pod", "rm", "--force", *stale, timeout=120)
    secret_name = secret["metadata"]["name"]
    podman("secret", "create", secret_name, "-", input=podman_secret(secret))
    try:
        played = podman("kube", "play", str(manifest), check=False, timeout=120)
        assert played.returncode == 0, played.stdout + played.stderr
        container = Container(f"{deployment['metadata']['name']}-pod-0-operator")
        yield {"container": container, "ports": ports, "simulator": simulator, "shells": shells,
               "release": release}
    finally:
        podman("kube", "down", str(manifest), check=False, timeout=120)
        podman("secret", "rm", secret_name, check=False)
        for obj in rest:
            if "namespace" not in obj["metadata"]:
                kubectl("delete", obj["kind"].lower(), obj["metadata"]["name"], "--ignore-not-found", check=False)


def _get(port: int, path: str) -> tuple[int, str] | None:
    try:
        return http_get(f"http://127.0.0.1:{port}{path}", timeout=2)
    except OSError:
        return None


def test_image_runs_as_the_chart_runs_it(chart_in_podman, kubectl, namespace):
    container: Container = chart_in_podman["container"]
    ports = chart_in_podman["ports"]
    container.until(lambda: (_get(ports["healthz"], "/healthz") or (0,))[0] == 200, 60, "/healthz answering")

    # The restrictions, as the operator's own process (PID 1) has them.
    seen = container.python(
        "import json, os, subprocess\n"
        "status = dict(line.split(':', 1) for line in open('/proc/1/status'))\n"
        "def writable(folder):\n"
        "    try:\n"
        "        open(os.path.join(folder, '.probe'), 'w').close()\n"
        "    except OSError:\n"
        "        return False\n"
        "    os.unlink(os.path.join(folder, '.probe'))\n"
        "    return True\n"
        "def runs(shell):\n"
        "    try:\n"
        "        return subprocess.run([shell, '-c', 'true']).returncode == 0\n"
        "    except OSError:\n"
        "        return False\n"
        "print(json.dumps({'cmdline': open('/proc/1/cmdline').read().split(chr(0)),\n"
        "    **{k: status[k].split() for k in ('Uid', 'Gid', 'CapEff', 'CapBnd', 'NoNewPrivs', 'Seccomp')},\n"
        "    'writable': {f: writable(f) for f in ('/', '/opt/pingone-operator', '/etc', '/tmp')},\n"
        "    'shells': {s: runs(s) for s in ('/bin/sh', '/bin/bash', '/usr/bin/dash')}}))\n")
    assert seen["cmdline"][1:3] == ["/opt/pingone-operator/bin/pingone-operator", "run"], seen["cmdline"]
    assert seen["Uid"] == ["65532"] * 4 and seen["Gid"] == ["65532"] * 4
    assert int(seen["CapEff"][0], 16) == 0 and int(seen["CapBnd"][0], 16) == 0, "capabilities: drop ALL"
    assert seen["NoNewPrivs"] == ["1"], "allowPrivilegeEscalation: false"
    assert seen["Seccomp"] == ["2"], "seccomp filter (RuntimeDefault)"
    assert seen["writable"] == {"/": False, "/opt/pingone-operator": False, "/etc": False, "/tmp": True}
    assert chart_in_podman["shells"] and not any(seen["shells"].values()), seen["shells"]

    # A resource reaches Ready=True: PingOne (the simulator) and the API server both reached.
    body = copy.deepcopy(APPLICATION)
    body["metadata"] = {"name": "image-app", "namespace": namespace}
    kubectl("apply", "-f", "-", input=json.dumps(body))

    def ready() -> dict[str, Any] | None:
        obj = json.loads(kubectl("get", "pingoneapplication", "image-app", "-n", namespace, "-o", "json").stdout)
        conditions = {c["type"]: c["status"] for c in (obj.get("status") or {}).get("conditions") or []}
        return obj if conditions.get("Ready") == "True" else None

    obj = container.until(ready, 60, "the PingOneApplication Ready=True")
    kubectl("get", "secret", obj["status"]["secretName"], "-n", namespace)

    metrics = _get(ports["metrics"], "/metrics")
    assert metrics and metrics[0] == 200 and "pingone_operator_reconciles_total" in metrics[1], metrics

    # SIGTERM (podman stop, the grace period of the chart): kopf finishes and exits 0, no SIGKILL.
    grace = 60
    start = time.monotonic()
    podman("stop", "--time", str(grace), container.name, timeout=grace + 30)
    took = time.monotonic() - start
    logs = container.logs()
    assert container.inspect("{{.State.ExitCode}}") == "0", logs[-3000:]
    assert took < grace, f"stopped only by SIGKILL after {took:.0f} s"
    assert "Signal SIGTERM is received" in logs, logs[-3000:]
    assert container.inspect("{{.RestartCount}}") == "0", logs[-3000:]
    assert "Traceback" not in logs, logs[-3000:]
    # The chart's logFormat=json reached the operator: every line is a JSON object.
    lines = [line for line in logs.splitlines() if line.strip()]
    assert lines and all(line.startswith("{") for line in lines), lines[:5]
