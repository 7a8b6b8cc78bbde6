"""Smoke tests of the real-Kubernetes test bed itself (no operator code involved).

If these fail, every other e2e test will too: look here first.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from testbed.cluster import K8S_VERSION, find_binaries
from tests.e2e.helpers import wait_for

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TINY_CHART = FIXTURES / "charts" / "tiny"

GROUP = "smoke.test.invalid"
PLURAL = "widgets"
CRD_NAME = f"{PLURAL}.{GROUP}"
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": CRD_NAME},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": PLURAL, "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
        "versions": [{
            "name": "v1",
            "served": True,
            "storage": True,
            "subresources": {"status": {}},
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "required": ["spec"],
                "properties": {
                    "spec": {
                        "type": "object",
                        "required": ["replicas"],
                        "properties": {
                            "replicas": {"type": "integer", "minimum": 1},
                            "colour": {"type": "string", "default": "blue"},
                        },
                    },
                    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                },
            }},
        }],
    },
}


@pytest.fixture
def smoke_crd(kubectl):
    kubectl("apply", "-f", "-", input=json.dumps(CRD))
    kubectl("wait", "--for=condition=Established", f"crd/{CRD_NAME}", "--timeout=60s")
    yield CRD_NAME
    kubectl("delete", "crd", CRD_NAME, "--wait=false", "--ignore-not-found", check=False)


def test_crd_schema_is_enforced(smoke_crd, kubectl, api_client, namespace):
    widget = {"apiVersion": f"{GROUP}/v1", "kind": "Widget",
              "metadata": {"name": "good", "namespace": namespace}, "spec": {"replicas": 3}}
    kubectl("apply", "-f", "-", input=yaml.safe_dump(widget))

    custom = k8s.CustomObjectsApi(api_client)
    obj = custom.get_namespaced_custom_object(GROUP, "v1", namespace, PLURAL, "good")
    assert obj["spec"] == {"replicas": 3, "colour": "blue"}  # the schema default was applied
    assert obj["metadata"]["uid"] and obj["metadata"]["generation"] == 1

    # Below the minimum: kubectl reports the API server's message, naming the field.
    bad = dict(widget, metadata={"name": "bad", "namespace": namespace}, spec={"replicas": 0})
    result = kubectl("apply", "-f", "-", input=yaml.safe_dump(bad), check=False)
    assert result.returncode != 0
    assert "spec.replicas" in result.stderr and "greater than or equal to 1" in result.stderr, result.stderr

    # Missing required field, through the Python client: 422 naming the field.
    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, "v1", namespace, PLURAL, dict(bad, spec={}))
    assert excinfo.value.status == 422
    assert "spec.replicas" in excinfo.value.body and "Required value" in excinfo.value.body

    # Wrong type.
    with pytest.raises(ApiException) as excinfo:
        custom.create_namespaced_custom_object(GROUP, "v1", namespace, PLURAL, dict(bad, spec={"replicas": "three"}))
    assert excinfo.value.status == 422 and "spec.replicas" in excinfo.value.body


def test_garbage_collector_deletes_dependents(kubectl, api_client, namespace):
    core = k8s.CoreV1Api(api_client)
    owner = core.create_namespaced_config_map(namespace, {"metadata": {"name": "owner"}, "data": {"a": "1"}})
    core.create_namespaced_config_map(namespace, {
        "metadata": {
            "name": "dependent",
            "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
                                 "uid": owner.metadata.uid}],
        },
        "data": {"b": "2"},
    })
    start = time.monotonic()
    kubectl("delete", "configmap", "owner", "-n", namespace)  # background propagation

    def dependent_gone() -> bool:
        try:
            core.read_namespaced_config_map("dependent", namespace)
        except ApiException as exc:
            if exc.status == 404:
                return True
            raise
        return False

    wait_for(dependent_gone, timeout=90, what="the garbage collector to delete the dependent ConfigMap")
    print(f"garbage collection took {time.monotonic() - start:.1f} s")


def test_namespace_deletion_completes(kubectl):
    name = f"e2e-nsdel-{os.getpid()}-{int(time.time() * 1000) % 100000}"
    kubectl("create", "namespace", name)
    kubectl("create", "configmap", "leftover", "-n", name, "--from-literal=x=1")
    kubectl("delete", "namespace", name, "--wait=false")
    # The namespace controller empties it and removes the `kubernetes` finalizer.
    kubectl("wait", "--for=delete", f"namespace/{name}", "--timeout=90s")


def test_default_service_account_and_root_ca_appear(kubectl, namespace):
    wait_for(lambda: kubectl("get", "serviceaccount", "default", "-n", namespace, check=False).returncode == 0,
               timeout=60, what="the default ServiceAccount")
    wait_for(lambda: kubectl("get", "configmap", "kube-root-ca.crt", "-n", namespace, check=False).returncode == 0,
               timeout=60, what="the kube-root-ca.crt ConfigMap")


def test_server_version(control_plane, api_client, kubectl):
    if control_plane.is_external:
        pytest.skip("an existing cluster runs whatever version it runs")
    assert control_plane.version == K8S_VERSION
    info = k8s.VersionApi(api_client).get_code()
    assert info.git_version == K8S_VERSION and info.major == "1" and info.minor == K8S_VERSION.split(".")[1]
    server = json.loads(kubectl("version", "-o", "json").stdout)["serverVersion"]
    assert server["gitVersion"] == K8S_VERSION


def _helm() -> Path:
    helm = find_binaries()[1] / "helm"
    if not (helm.is_file() and os.access(helm, os.X_OK)):
        pytest.skip(f"helm is not built yet ({helm}); `make controlplane` builds it")
    return helm


def test_helm_lint_and_template(tmp_path, kubectl, namespace):
    helm = _helm()
    env = dict(os.environ, HELM_CACHE_HOME=str(tmp_path / "helm-cache"),
               HELM_CONFIG_HOME=str(tmp_path / "helm-config"), HELM_DATA_HOME=str(tmp_path / "helm-data"))
    env.pop("KUBECONFIG", None)  # lint and template must not need a cluster

    def helm_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(helm), *args], capture_output=True, text=True, env=env, timeout=120)

    lint = helm_run("lint", "--strict", str(TINY_CHART))
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in lint.stdout

    bad_values = helm_run("lint", str(TINY_CHART), "--set", "replicas=0")  # values.schema.json applies
    assert bad_values.returncode != 0 and "replicas" in bad_values.stdout + bad_values.stderr

    rendered = helm_run("template", "smoke", str(TINY_CHART), "--namespace", namespace, "--set", "greeting=hi")
    assert rendered.returncode == 0, rendered.stderr
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    assert sorted(d["kind"] for d in docs) == ["ConfigMap", "ServiceAccount"]
    configmap = next(d for d in docs if d["kind"] == "ConfigMap")
    assert configmap["metadata"] == {
        "name": "smoke-tiny", "namespace": namespace,
        "labels": {"app.kubernetes.io/name": "tiny", "app.kubernetes.io/instance": "smoke",
                   "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "tiny-0.1.0"},
    }
    assert configmap["data"]["greeting"] == "hi"
    assert configmap["data"]["kubeVersion"].startswith("v1.")  # stamped at build time, see build.sh

    # The real API server accepts what helm rendered.
    kubectl("apply", "--dry-run=server", "-f", "-", input=rendered.stdout)


def test_serviceaccount_kubeconfig_and_rbac(kubectl, sa_kubeconfig, namespace):
    kubectl("create", "serviceaccount", "limited", "-n", namespace)
    sa_config = sa_kubeconfig(namespace, "limited", duration="15m")

    whoami = json.loads(kubectl("auth", "whoami", "-o", "json", kubeconfig=sa_config).stdout)
    assert whoami["status"]["userInfo"]["username"] == f"system:serviceaccount:{namespace}:limited"

    denied = kubectl("get", "configmaps", "-n", namespace, kubeconfig=sa_config, check=False)
    assert denied.returncode != 0
    assert "Forbidden" in denied.stderr or "forbidden" in denied.stderr, denied.stderr

    kubectl("create", "role", "read-configmaps", "-n", namespace, "--verb=get,list", "--resource=configmaps")
    kubectl("create", "rolebinding", "limited-reads", "-n", namespace, "--role=read-configmaps",
            f"--serviceaccount={namespace}:limited")
    wait_for(lambda: kubectl("get", "configmaps", "-n", namespace, kubeconfig=sa_config, check=False).returncode == 0,
               timeout=30, what="the RoleBinding to take effect")

    # Still nothing beyond the grant.
    other = kubectl("get", "secrets", "-n", namespace, kubeconfig=sa_config, check=False)
    assert other.returncode != 0 and "forbidden" in other.stderr.lower()
    assert kubectl("auth", "can-i", "create", "configmaps", "-n", namespace,
                   kubeconfig=sa_config, check=False).stdout.strip() == "no"
