"""The install paths against a real kube-apiserver (the e2e control plane).

- kubeconform, with JSON schemas made from this API server's own OpenAPI document and the CRD;
- server-side dry-runs of the chart (several value sets) and of `kubectl apply -k deploy/`;
- the operator's pod template under the `restricted` Pod Security admission;
- NOTES.txt as `helm install` prints it;
- the chart's RBAC is enough: the real operator runs under the chart's ServiceAccount token, with
  the OwnerReferencesPermissionEnforcement admission plugin on and the chart's Secrets policy in force;
- that policy: the same token is refused, by the API server, any write to a Secret without the
  operator's label, even where RBAC allows it.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.helpers import wait_for
from tests.install.helpers import CHART, DEPLOY, MUTATING_POLICY_API, NAMESPACE, REPO_ROOT, VALUES_DIR, find

pytestmark = pytest.mark.e2e

CRD_FILES = sorted((REPO_ROOT / "crds").glob("*.yaml"))
SCHEMA_LOCATION = "{{ .Group }}/{{ .ResourceAPIVersion }}/{{ .ResourceKind }}.json"


def dump_docs(objects: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)


# ---- JSON schemas from the API server -------------------------------------------------------


def _standalone(schema: Any, definitions: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Inline `$ref`s (a recursive type becomes `{}`), make int-or-string and quantities accept
    both forms, and close every object that lists its properties (kubeconform's "strict")."""
    if isinstance(schema, list):
        return [_standalone(s, definitions, seen) for s in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            return {}
        return _standalone(definitions[name], definitions, (*seen, name))
    if schema.get("format") == "int-or-string" or schema.get("x-kubernetes-int-or-string"):
        return {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "x-kubernetes-group-version-kind":
            continue
        if key in ("properties", "patternProperties"):  # maps of names to schemas
            out[key] = {name: _standalone(sub, definitions, seen) for name, sub in value.items()}
        else:
            out[key] = _standalone(value, definitions, seen)
    if "properties" in schema and "additionalProperties" not in schema \
            and not schema.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def _write_schema(root: Path, group: str, version: str, kind: str, schema: dict[str, Any]) -> None:
    path = root / (group or version) / version / f"{kind.lower()}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema))


@pytest.fixture(scope="session")
def cluster_schemas(control_plane, tmp_path_factory) -> Path:
    """kubeconform schemas for every built-in kind this API server serves, and for our CRD."""
    root = tmp_path_factory.mktemp("schemas")
    document = json.loads(control_plane.kubectl("get", "--raw", "/openapi/v2").stdout)
    definitions = document["definitions"]
    definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {
        "oneOf": [{"type": "string"}, {"type": "number"}]}
    written = 0
    for name, definition in definitions.items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            schema = _standalone(definition, definitions, (name,))
            _write_schema(root, gvk["group"], gvk["version"], gvk["kind"], schema)
            written += 1
    assert written > 50, "the OpenAPI document lists hardly any kinds"
    for path in CRD_FILES:
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            schema = _standalone(copy.deepcopy(version["schema"]["openAPIV3Schema"]), {})
            schema.setdefault("properties", {}).update({"apiVersion": {"type": "string"},
                                                        "kind": {"type": "string"},
                                                        "metadata": {"type": "object"}})
            _write_schema(root, crd["spec"]["group"], version["name"], crd["spec"]["names"]["kind"], schema)
    return root


@pytest.fixture(scope="session")
def kubeconform(kubeconform_bin, cluster_schemas):
    def run(manifests: str, *extra: str) -> tuple[int, list[dict[str, Any]], str]:
        result = subprocess.run(
            [str(kubeconform_bin), "-strict", "-summary", "-output", "json", "-verbose",
             "-schema-location", str(cluster_schemas / SCHEMA_LOCATION), *extra, "-"],
            input=manifests, capture_output=True, text=True, timeout=120,
        )
        report = json.loads(result.stdout) if result.stdout.strip() else {"resources": []}
        # Comment-only documents (helm's "# Source:" separators) come back as empty entries.
        resources = [r for r in report.get("resources", []) if r.get("kind")]
        return result.returncode, resources, result.stdout + result.stderr

    return run


VARIANTS = [[], ["-f", "watch-namespaces.yaml"], ["-f", "metrics.yaml"], ["-f", "create-secret.yaml"],
            ["-f", "everything.yaml"], ["-f", "monitoring.yaml"], ["-f", "standby.yaml"], ["--include-crds"]]
# The Prometheus Operator's kinds: their CRDs are not installed here (promtool checks the rules).
PROMETHEUS_OPERATOR_KINDS = ("ServiceMonitor", "PrometheusRule")


def _template(helm, args: list[str], *, release: str = "pingone-operator", namespace: str = NAMESPACE) -> str:
    resolved = [str(VALUES_DIR / a) if a.endswith(".yaml") else a for a in args]
    result = helm("template", release, CHART, "--namespace", namespace, *resolved)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("args", VARIANTS, ids=lambda a: "-".join(x.removesuffix(".yaml") for x in a if x != "-f")
                         or "defaults")
def test_kubeconform_chart(helm, kubeconform, args):
    code, resources, output = kubeconform(_template(helm, args), "-skip", ",".join(PROMETHEUS_OPERATOR_KINDS))
    assert code == 0, output
    statuses = {(r["kind"], r["name"]): r["status"] for r in resources}
    assert statuses and all(s == "statusValid" or (k in PROMETHEUS_OPERATOR_KINDS and s == "statusSkipped")
                            for (k, _), s in statuses.items()), statuses


def test_kubeconform_kustomize_base_and_notes_example(kubeconform, kubectl):
    built = kubectl("kustomize", DEPLOY).stdout
    example = {
        "apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneApplication",
        "metadata": {"name": "my-web-app", "namespace": "default"},
        "spec": {"name": "My-Web-App", "enabled": True, "type": "WEB_APP", "protocol": "OPENID_CONNECT",
                 "grantTypes": ["AUTHORIZATION_CODE"], "responseTypes": ["CODE"],
                 "redirectUris": ["https://my-web-app.example.com/callback"],
                 "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"},
    }
    code, resources, output = kubeconform(built + "---\n" + yaml.safe_dump(example))
    assert code == 0, output
    assert {r["kind"] for r in resources} >= {"Namespace", "CustomResourceDefinition", "Deployment",
                                              "PingOneApplication"}
    assert all(r["status"] == "statusValid" for r in resources), resources


def test_kubeconform_schemas_have_teeth(helm, kubeconform):
    objects = [d for d in yaml.safe_load_all(_template(helm, [])) if d]
    deployment = find(objects, "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    code, _, output = kubeconform(dump_docs([deployment]))
    assert code != 0 and "imagePullPolcy" in output, output
    bad_app = {"apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneApplication",
               "metadata": {"name": "x"}, "spec": {"name": "x", "type": "WEB_APP", "grantTypez": []}}
    code, _, output = kubeconform(yaml.safe_dump(bad_app))
    assert code != 0 and "grantTypez" in output, output


# ---- server-side dry-runs -------------------------------------------------------------------


@pytest.fixture
def crd_installed(kubectl) -> list[str]:
    """Every CRD the chart ships, applied for real (server-side, idempotent) and left in place."""
    names = []
    for path in CRD_FILES:
        kubectl("apply", "--server-side", "--force-conflicts", "-f", path)
        names.append(yaml.safe_load(path.read_text())["metadata"]["name"])
    for name in names:
        kubectl("wait", "--for=condition=Established", f"crd/{name}", "--timeout=60s")
    return names


@pytest.mark.parametrize("args", VARIANTS[:-1], ids=["defaults", "watch-namespaces", "metrics", "create-secret",
                                                    "everything", "monitoring", "standby"])
def test_server_accepts_the_chart(helm, kubectl, namespace, args, crd_installed):  # the ClusterKopfPeering's CRD
    manifests = _template(helm, args, release=f"dry-{secrets.token_hex(3)}", namespace=namespace)
    objects = [d for d in yaml.safe_load_all(manifests) if d]
    # The Prometheus Operator's CRDs are not installed here; Roles (and the dashboard) for the
    # example namespaces go to this test's namespace instead.
    objects = [o for o in objects if o["kind"] not in PROMETHEUS_OPERATOR_KINDS]
    for obj in objects:
        if obj["kind"] in ("Role", "RoleBinding", "ConfigMap"):
            obj["metadata"]["namespace"] = namespace
    result = kubectl("apply", "--dry-run=server", "-f", "-", input=dump_docs(objects), check=False)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr


def test_server_accepts_the_kustomize_base(kubectl, crd_installed):
    """`kubectl apply --server-side -k deploy/`, dry-run. Namespaced objects need their namespace
    to exist, so it is created for real first (and removed again if this test created it)."""
    existed = kubectl("get", "namespace", NAMESPACE, check=False).returncode == 0
    kubectl("apply", "--server-side", "-f", DEPLOY / "namespace.yaml")
    try:
        result = kubectl("apply", "--server-side", "--dry-run=server", "-k", DEPLOY, check=False)
        assert result.returncode == 0, result.stderr
        # A Deployment whose pod template breaks the namespace's Pod Security level gets a warning.
        assert "PodSecurity" not in result.stderr and "Warning" not in result.stderr, result.stderr
        applied = result.stdout
        for kind_name in ("namespace/pingone-operator", "deployment.apps/pingone-operator",
                          "clusterrole.rbac.authorization.k8s.io/pingone-operator",
                          "customresourcedefinition.apiextensions.k8s.io/pingoneapplications.pingone-operator.dev"):
            assert kind_name in applied, applied
    finally:
        if not existed:
            kubectl("delete", "namespace", NAMESPACE, "--wait=false", check=False)


def _restricted(kubectl, namespace: str) -> None:
    kubectl("label", "namespace", namespace, "--overwrite", "pod-security.kubernetes.io/enforce=restricted",
            "pod-security.kubernetes.io/enforce-version=latest", "pod-security.kubernetes.io/warn=restricted")


def _pod_from_deployment(deployment: dict[str, Any], namespace: str) -> dict[str, Any]:
    template = copy.deepcopy(deployment["spec"]["template"])
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "pingone-operator-psa", "namespace": namespace,
                         "labels": template["metadata"]["labels"]},
            "spec": template["spec"]}


@pytest.mark.parametrize("args", [[], ["-f", "everything.yaml"]], ids=["defaults", "everything"])
def test_pod_passes_restricted_pod_security(helm, kubectl, namespace, args):
    _restricted(kubectl, namespace)
    objects = [d for d in yaml.safe_load_all(_template(helm, args, namespace=namespace)) if d]
    deployment = find(objects, "Deployment")
    # The ServiceAccount admission plugin wants the pod's ServiceAccount to exist.
    sa = deployment["spec"]["template"]["spec"]["serviceAccountName"]
    kubectl("create", "serviceaccount", sa, "-n", namespace)
    pod = _pod_from_deployment(deployment, namespace)
    pod["spec"].pop("priorityClassName", None)  # admission would look the class up; not a PSS matter
    result = kubectl("apply", "--dry-run=server", "-f", "-", input=json.dumps(pod), check=False)
    assert result.returncode == 0, result.stderr
    result = kubectl("apply", "--dry-run=server", "-f", "-", input=json.dumps(deployment), check=False)
    assert result.returncode == 0 and "PodSecurity" not in result.stderr, result.stderr


@pytest.mark.parametrize("breakage", ["no-seccomp", "privilege-escalation", "capabilities", "root"])
def test_restricted_pod_security_has_teeth(helm, kubectl, namespace, breakage):
    """The same pod with one setting undone is refused: the check above is not vacuous."""
    _restricted(kubectl, namespace)
    deployment = find([d for d in yaml.safe_load_all(_template(helm, [], namespace=namespace)) if d], "Deployment")
    kubectl("create", "serviceaccount", "pingone-operator", "-n", namespace)
    pod = _pod_from_deployment(deployment, namespace)
    container_sc = pod["spec"]["containers"][0]["securityContext"]
    if breakage == "no-seccomp":
        del pod["spec"]["securityContext"]["seccompProfile"]
    elif breakage == "privilege-escalation":
        container_sc["allowPrivilegeEscalation"] = True
    elif breakage == "capabilities":
        del container_sc["capabilities"]
    else:
        pod["spec"]["securityContext"]["runAsNonRoot"] = False
        container_sc.pop("runAsNonRoot")
    result = kubectl("apply", "--dry-run=server", "-f", "-", input=json.dumps(pod), check=False)
    assert result.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in result.stderr, result.stderr


# ---- NOTES.txt ------------------------------------------------------------------------------


@pytest.fixture
def notes(helm_bin, helm_env, control_plane):
    """notes(*args) -> the NOTES section `helm install --dry-run=client` prints (helm 3 wants a
    reachable cluster for the Kubernetes version, even for a client-side dry-run)."""

    def run(*args: str) -> str:
        env = dict(helm_env, KUBECONFIG=str(control_plane.kubeconfig))
        result = subprocess.run([str(helm_bin), "install", "pingone-operator", str(CHART), "--namespace", NAMESPACE,
                                 "--dry-run=client", *args], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout.split("NOTES:", 1)[1]

    return run


def test_notes_tell_what_to_do_next(notes):
    text = notes()
    assert "kubectl -n pingone-operator create secret generic pingone-operator-credentials" in text
    assert "--from-literal=clientSecret=" in text and "--from-literal=environmentId=" in text
    assert "kubectl -n pingone-operator rollout status deployment/pingone-operator" in text
    assert "kind: PingOneApplication" in text
    assert "kubectl get p1app -A" in text
    assert "every namespace" in text
    assert "helm show crds" in text


def test_notes_example_is_accepted(notes, kubectl, namespace, crd_installed):
    """The example PingOneApplication in NOTES passes the operator's model and the API server."""
    from pingone_operator.api import PingOneApplicationSpec

    text = notes()
    start = text.index("kubectl apply -f - <<'YAML'\n")
    snippet = text[start:text.index("\nYAML\n", start) + len("\nYAML\n")]
    # Pasted into a shell, the heredoc ends (its terminator starts the line) and yields the object.
    shell = subprocess.run(["bash", "-c", snippet.replace("kubectl apply -f -", "cat", 1)],
                           capture_output=True, text=True, timeout=10)
    assert shell.returncode == 0, shell.stderr
    resource = yaml.safe_load(shell.stdout)
    assert resource["apiVersion"] == "pingone-operator.dev/v1alpha1"
    PingOneApplicationSpec.model_validate(resource["spec"])
    resource["metadata"]["namespace"] = namespace
    kubectl("apply", "--dry-run=server", "-f", "-", input=json.dumps(resource))


def test_notes_for_namespaced_mode_and_created_secret(notes):
    text = notes("-f", str(VALUES_DIR / "watch-namespaces.yaml"))
    assert "the namespaces: team-a, team-b" in text
    assert "namespace: team-a" in text
    assert "--from-literal=id=" in text and "--from-literal=secret=" in text
    assert "environmentId=" not in text, "environmentId comes from the values here"
    text = notes("-f", str(VALUES_DIR / "create-secret.yaml"))
    assert "WARNING: pingone.createSecret=true" in text
    assert "create secret generic" not in text


# ---- the chart's RBAC is enough for the real operator ---------------------------------------

APPLICATION = {
    "apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneApplication",
    "spec": {"enabled": True, "type": "WEB_APP", "protocol": "OPENID_CONNECT",
             "grantTypes": ["AUTHORIZATION_CODE"], "responseTypes": ["CODE"],
             "redirectUris": ["https://rbac.example.com/callback"], "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"},
}
FORBIDDEN = re.compile(r"forbidden|\b403\b|not enough permissions", re.I)
# 403s that are not about the operator's permissions: with --all-namespaces the operator also sees
# other tests' resources in namespaces being deleted, whose PingOne (another simulator) refuses it.
NOT_RBAC = re.compile(r"NamespaceTerminating|PingOne 403 ACCESS_FAILED")


def rbac_denials(logs: str) -> list[str]:
    return [line for line in logs.splitlines() if FORBIDDEN.search(line) and not NOT_RBAC.search(line)]


POLICY_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
                "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding")
RBAC_KINDS = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", *POLICY_KINDS)
CLUSTER_SCOPED = ("ClusterRole", "ClusterRoleBinding", *POLICY_KINDS)


class ChartRBAC:
    """chart_rbac(*values_args) applies the chart's ServiceAccount, RBAC and Secrets policy (nothing
    else) for real in the test's namespace, under a unique release name, waits until the policy is
    in force, and returns the ServiceAccount's name. `objects` holds what was applied."""

    def __init__(self, helm, kubectl, sa_kubeconfig, namespace: str) -> None:
        self.helm, self.kubectl, self.sa_kubeconfig, self.namespace = helm, kubectl, sa_kubeconfig, namespace
        self.release = f"rbac-{secrets.token_hex(3)}"
        self.objects: list[dict[str, Any]] = []

    def __call__(self, *args: str) -> str:
        objects = [d for d in yaml.safe_load_all(_template(self.helm, list(args), release=self.release,
                                                          namespace=self.namespace))
                   if d and d["kind"] in RBAC_KINDS
                   and not d["metadata"]["name"].endswith(("-aggregate-view", "-aggregate-edit"))]
        self.kubectl("apply", "-f", "-", input=dump_docs(objects))
        self.objects.extend(objects)
        sa = find(objects, "ServiceAccount")["metadata"]["name"]
        if any(o["kind"] == "ValidatingAdmissionPolicy" for o in objects):
            self._wait_for_policy(sa)
        return sa

    @property
    def policy(self) -> str:
        return find(self.objects, "ValidatingAdmissionPolicy")["metadata"]["name"]

    def _wait_for_policy(self, sa: str) -> None:
        """A new policy takes a moment to be enforced: wait until a dry-run write of an unlabelled
        Secret by the ServiceAccount is refused by it."""
        config = self.sa_kubeconfig(self.namespace, sa)
        probe = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "policy-probe", "namespace": self.namespace}}

        def refused() -> bool:
            result = self.kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(probe),
                                  kubeconfig=config, check=False)
            return result.returncode != 0 and f"ValidatingAdmissionPolicy '{self.policy}'" in result.stderr

        wait_for(refused, 30, f"the policy {self.policy} to be in force")

    def remove(self) -> None:
        for obj in self.objects:
            if obj["kind"] in CLUSTER_SCOPED:
                self.kubectl("delete", obj["kind"].lower(), obj["metadata"]["name"], "--ignore-not-found", check=False)


@pytest.fixture
def chart_rbac(helm, kubectl, sa_kubeconfig, namespace):
    """See ChartRBAC; cluster-scoped objects are removed after the test."""
    applied = ChartRBAC(helm, kubectl, sa_kubeconfig, namespace)
    yield applied
    applied.remove()


def _can_i(kubectl, kubeconfig: Path, verb: str, resource: str, namespace: str) -> bool:
    result = kubectl("auth", "can-i", verb, resource, "-n", namespace, kubeconfig=kubeconfig, check=False)
    return result.stdout.strip() == "yes"


def _wait_ready(kubectl, namespace: str, name: str, *get_args: str) -> dict[str, Any]:
    """The application once Ready; 40 s, well under kopf's ~55 s of retries when a permission it
    needs at start-up is missing."""

    def ready() -> dict[str, Any] | None:
        obj = json.loads(kubectl("get", "pingoneapplication", name, "-n", namespace, "-o", "json", *get_args).stdout)
        conditions = {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}
        return obj if conditions.get("Ready", {}).get("status") == "True" else None

    return wait_for(ready, 40, f"{name} to become Ready (the operator's log is attached below)")


def _round_trip(kubectl, namespace: str) -> None:
    """Create an application, see it Ready with its Secret, delete it, see the finalizer go."""
    name = f"rbac-{secrets.token_hex(3)}"
    body = copy.deepcopy(APPLICATION)
    body["metadata"] = {"name": name, "namespace": namespace}
    body["spec"]["name"] = f"RBAC-{name}"
    kubectl("apply", "-f", "-", input=json.dumps(body))
    obj = _wait_ready(kubectl, namespace, name)
    secret_name = obj["status"]["secretName"]
    kubectl("get", "secret", secret_name, "-n", namespace)
    kubectl("delete", "pingoneapplication", name, "-n", namespace, "--wait=false")
    wait_for(lambda: kubectl("get", "pingoneapplication", name, "-n", namespace, check=False).returncode != 0,
               90, f"{name} to be deleted (finalizer removed)")


def test_operator_runs_under_the_clusterrole(chart_rbac, sa_kubeconfig, operator_factory, kubectl, namespace,
                                             crd_installed):
    sa = chart_rbac()
    config = sa_kubeconfig(namespace, sa)
    # Least privilege, as the API server sees it.
    assert _can_i(kubectl, config, "get", "secrets", namespace)
    assert not _can_i(kubectl, config, "list", "secrets", namespace)
    assert not _can_i(kubectl, config, "watch", "secrets", namespace)
    assert not _can_i(kubectl, config, "update", "secrets", namespace)
    assert not _can_i(kubectl, config, "delete", "pingoneapplications", namespace)
    assert not _can_i(kubectl, config, "list", "namespaces", namespace), "cluster-wide: kopf never lists them"
    operator = operator_factory(kubeconfig=config, args=["--all-namespaces"])
    _round_trip(kubectl, namespace)
    operator.stop()
    denied = rbac_denials(operator.logs())
    assert not denied, "\n".join(denied)


def test_operator_runs_under_namespaced_roles(chart_rbac, sa_kubeconfig, operator_factory, kubectl, namespace,
                                              crd_installed, tmp_path):
    values = tmp_path / "ns.yaml"
    values.write_text(yaml.safe_dump({"watchNamespaces": [namespace]}))
    sa = chart_rbac("-f", str(values))
    config = sa_kubeconfig(namespace, sa)
    assert _can_i(kubectl, config, "patch", "pingoneapplications", namespace)
    assert not _can_i(kubectl, config, "patch", "pingoneapplications", "default")
    assert not _can_i(kubectl, config, "get", "secrets", "default")
    assert not _can_i(kubectl, config, "list", "secrets", namespace)
    operator = operator_factory(kubeconfig=config, args=[], extra_env={"WATCH_NAMESPACES": namespace})
    _round_trip(kubectl, namespace)
    operator.stop()
    # kopf lists namespaces in this mode; without the chart's namespaces rule it retries a 403
    # nine times (about a minute) before handling anything.
    denied = rbac_denials(operator.logs())
    assert not denied, "\n".join(denied)


def test_finalizer_policy_adds_the_finalizer_at_create_and_an_apply_keeps_it(
        chart_rbac, sa_kubeconfig, operator_factory, kubectl, namespace, crd_installed, admin, tmp_path):
    """The chart's MutatingAdmissionPolicy: a create carries the operator's finalizer from the start
    (the operator never patches it in), a server-side apply that omits it (Argo CD's) keeps it, and
    the deletion still goes through the operator."""
    from pingone_operator.controller.handlers import FINALIZER

    values = tmp_path / "ns.yaml"
    values.write_text(yaml.safe_dump({"watchNamespaces": [namespace]}))
    sa = chart_rbac("--api-versions", MUTATING_POLICY_API, "-f", str(values))
    name = f"fin-{secrets.token_hex(3)}"
    body = copy.deepcopy(APPLICATION)
    body["metadata"] = {"name": name, "namespace": namespace}
    body["spec"]["name"] = f"FIN-{name}"
    manifest = json.dumps(body)

    def admitted_with_finalizer() -> bool:  # a new policy takes a moment to be in force
        result = kubectl("create", "--dry-run=server", "-o", "json", "-f", "-", input=manifest)
        return FINALIZER in json.loads(result.stdout)["metadata"].get("finalizers", [])

    wait_for(admitted_with_finalizer, 30, "the finalizer policy to be in force")
    operator = operator_factory(kubeconfig=sa_kubeconfig(namespace, sa), args=[],
                                extra_env={"WATCH_NAMESPACES": namespace})
    created = json.loads(kubectl("apply", "--server-side", "--field-manager", "argocd-controller", "-o", "json",
                                 "-f", "-", input=manifest).stdout)
    assert created["metadata"]["finalizers"] == [FINALIZER]
    obj = _wait_ready(kubectl, namespace, name, "--show-managed-fields")
    assert obj["metadata"]["finalizers"] == [FINALIZER]
    # A field set in admission has no manager: the operator never patched the finalizer in (its
    # patch would own it), and no apply that omits it can take it away.
    owners = [m["manager"] for m in obj["metadata"]["managedFields"]
              if "f:finalizers" in (m.get("fieldsV1") or {}).get("f:metadata", {})]
    assert owners == [], owners
    # Argo CD applies again (its manifest has no finalizers): the finalizer stays.
    reapplied = json.loads(kubectl("apply", "--server-side", "--field-manager", "argocd-controller", "-o", "json",
                                   "-f", "-", input=manifest).stdout)
    assert reapplied["metadata"]["finalizers"] == [FINALIZER]
    app_id = obj["status"]["applicationId"]
    kubectl("delete", "pingoneapplication", name, "-n", namespace, "--wait=false")
    wait_for(lambda: kubectl("get", "pingoneapplication", name, "-n", namespace, check=False).returncode != 0,
             60, f"{name} to be deleted by the operator")
    assert admin.app(app_id) is None
    operator.stop()
    denied = rbac_denials(operator.logs())
    assert not denied, "\n".join(denied)


def test_operator_runs_as_a_peer_under_the_charts_rules(helm, chart_rbac, sa_kubeconfig, operator_factory, kubectl,
                                                       namespace, crd_installed, tmp_path):
    """replicaCount: 2 (namespaced mode): the peering rules are enough for kopf to keep alive in the
    release's ClusterKopfPeering, become the active peer and work; other peerings stay read-only."""
    values = tmp_path / "ha.yaml"
    values.write_text(yaml.safe_dump({"replicaCount": 2, "watchNamespaces": [namespace]}))
    sa = chart_rbac("-f", str(values))
    rendered = [d for d in yaml.safe_load_all(_template(helm, ["-f", str(values)], release=chart_rbac.release,
                                                        namespace=namespace)) if d]
    peering = find(rendered, "ClusterKopfPeering")
    name = peering["metadata"]["name"]
    kubectl("apply", "-f", "-", input=json.dumps(peering))
    try:
        config = sa_kubeconfig(namespace, sa)
        assert _can_i(kubectl, config, "patch", f"clusterkopfpeerings.kopf.dev/{name}", namespace)
        assert not _can_i(kubectl, config, "patch", "clusterkopfpeerings.kopf.dev/another-release", namespace)
        env = {e["name"]: e.get("value") for e in find(rendered, "Deployment")["spec"]["template"]["spec"][
            "containers"][0]["env"]}
        operator = operator_factory(kubeconfig=config, args=[], extra_env={
            "WATCH_NAMESPACES": namespace, "PEERING_NAME": env["PEERING_NAME"], "POD_NAME": "peer-a"})
        operator.wait_for_log("Resuming operations after the pause", timeout=30)
        _round_trip(kubectl, namespace)
        status = json.loads(kubectl("get", "clusterkopfpeering", name, "-o", "json").stdout).get("status") or {}
        assert set(status) == {"peer-a"}, status
        operator.stop()
        denied = rbac_denials(operator.logs())
        assert not denied, "\n".join(denied)
    finally:
        kubectl("delete", "clusterkopfpeering", name, "--ignore-not-found", check=False)


def _drift_corrected(kubectl, simulator, namespace: str) -> None:
    """A change behind the operator's back is undone (GET, PUT, status patch, Event) under the role."""
    from tests.e2e.helpers import SimulatorAdmin

    admin = SimulatorAdmin(simulator)
    name = f"rbac-drift-{secrets.token_hex(3)}"
    body = copy.deepcopy(APPLICATION)
    body["metadata"] = {"name": name, "namespace": namespace}
    body["spec"]["name"] = f"RBAC-{name}"
    kubectl("apply", "-f", "-", input=json.dumps(body))

    def status() -> dict[str, Any]:
        return json.loads(kubectl("get", "pingoneapplication", name, "-n", namespace, "-o", "json").stdout).get(
            "status") or {}

    app_id = wait_for(lambda: status().get("applicationId"), 40, f"{name} created")
    wait_for(lambda: status().get("secretName"), 40, f"{name} Ready")
    admin.patch_app(app_id, {"enabled": False})
    wait_for(lambda: admin.app(app_id)["enabled"] is True, 40, "drift corrected under the chart's role")


def test_operator_under_the_clusterrole_corrects_drift_and_uses_a_connection(
        chart_rbac, sa_kubeconfig, operator_factory, simulator, kubectl, namespace, crd_installed):
    """The rest of the RBAC proof: drift correction, and a PingOneConnection (its credentials Secret
    in the operator's namespace, namespace labels, the connection's status)."""
    sa = chart_rbac()
    config = sa_kubeconfig(namespace, sa)
    kubectl("create", "secret", "generic", "conn-worker", "-n", namespace,
            f"--from-literal=client-id={simulator.client_id}", f"--from-literal=client-secret={simulator.client_secret}")
    connection = f"rbac-{secrets.token_hex(3)}"
    kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneConnection", "metadata": {"name": connection},
        "spec": {"apiUrl": simulator.api_url, "authUrl": simulator.auth_url, "environmentId": simulator.environment_id,
                 "credentialsSecret": {"name": "conn-worker"}, "namespaceSelector": {"matchLabels": {
                     "kubernetes.io/metadata.name": namespace}}}}))
    try:
        operator = operator_factory(kubeconfig=config, args=["--all-namespaces"], extra_env={
            "DRIFT_INTERVAL_SECONDS": "3", "OPERATOR_NAMESPACE": namespace})
        _drift_corrected(kubectl, simulator, namespace)
        body = copy.deepcopy(APPLICATION)
        body["metadata"] = {"name": "via-connection", "namespace": namespace}
        body["spec"].update(name="RBAC-via-connection", connectionRef={"name": connection})
        kubectl("apply", "-f", "-", input=json.dumps(body))
        wait_for(lambda: json.loads(kubectl("get", "pingoneapplication", "via-connection", "-n", namespace,
                                              "-o", "json").stdout).get("status", {}).get("secretName"),
                   40, "Ready through the connection")
        conn = json.loads(kubectl("get", "pingoneconnection", connection, "-o", "json").stdout)
        assert [c["status"] for c in conn["status"]["conditions"] if c["type"] == "Ready"] == ["True"]
        operator.stop()
        denied = rbac_denials(operator.logs())
        assert not denied, "\n".join(denied)
    finally:
        kubectl("delete", "pingoneconnection", connection, "--wait=false", check=False)


def test_rbac_proof_has_teeth(chart_rbac, sa_kubeconfig, operator_factory, kubectl, namespace, crd_installed):
    """Without one rule the chart grants (create on Secrets), the operator cannot finish: the proof
    above would notice a missing permission."""
    sa = chart_rbac()
    bindings = json.loads(kubectl("get", "clusterrolebindings", "-o", "json").stdout)["items"]
    (role_name,) = [b["roleRef"]["name"] for b in bindings
                    if any(s.get("name") == sa and s.get("namespace") == namespace for s in b.get("subjects") or [])]
    role = json.loads(kubectl("get", "clusterrole", role_name, "-o", "json").stdout)
    for rule in role["rules"]:
        if "secrets" in rule.get("resources", []):
            rule["verbs"] = [v for v in rule["verbs"] if v != "create"]
    kubectl("replace", "-f", "-", input=json.dumps(role))
    config = sa_kubeconfig(namespace, sa)
    assert not _can_i(kubectl, config, "create", "secrets", namespace)
    operator_factory(kubeconfig=config, args=["--all-namespaces"])
    body = copy.deepcopy(APPLICATION)
    body["metadata"] = {"name": "teeth", "namespace": namespace}
    body["spec"]["name"] = "RBAC-teeth"
    kubectl("apply", "-f", "-", input=json.dumps(body))

    def ready_condition() -> dict[str, Any]:
        obj = json.loads(kubectl("get", "pingoneapplication", "teeth", "-n", namespace, "-o", "json").stdout)
        return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == "Ready"), {})

    condition = wait_for(lambda: ready_condition().get("reason") == "SecretForbidden" and ready_condition(), 40,
                           "the missing permission to show in the Ready condition")
    assert condition["status"] == "False" and "403" in condition["message"]


# ---- Secrets: the admission policy narrows what RBAC grants ---------------------------------

LABELS = {"app.kubernetes.io/managed-by": "pingone-operator"}


def _secret(name: str, namespace: str, labels: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "stringData": data}


def _allow_every_secret_write(kubectl, namespace: str, sa: str) -> None:
    """More than the chart grants (update, too): the policy, not RBAC, has to refuse."""
    kubectl("create", "role", "all-secret-writes", "-n", namespace, "--resource=secrets",
            "--verb=get,create,update,patch,delete")
    kubectl("create", "rolebinding", "all-secret-writes", "-n", namespace, "--role=all-secret-writes",
            f"--serviceaccount={namespace}:{sa}")


def _current(kubectl, name: str, namespace: str) -> dict[str, Any]:
    return json.loads(kubectl("get", "secret", name, "-n", namespace, "-o", "json").stdout)


def _updated(obj: dict[str, Any], *, labels: dict[str, str] | None = None, **data: str) -> str:
    """The object for a PUT (kubectl replace): its resourceVersion, changed data, maybe labels."""
    obj = copy.deepcopy(obj)
    obj["stringData"] = data
    if labels is not None:
        obj["metadata"]["labels"] = {**obj["metadata"].get("labels", {}), **labels}
    return json.dumps(obj)


def test_operator_token_cannot_touch_a_foreign_secret(chart_rbac, sa_kubeconfig, kubectl, namespace):
    """The chart's ServiceAccount token, with RBAC allowing every write, is refused by the API
    server (the policy) on a Secret without the operator's label: patch, update, delete, relabel."""
    sa = chart_rbac()
    _allow_every_secret_write(kubectl, namespace, sa)
    config = sa_kubeconfig(namespace, sa)
    for verb in ("create", "update", "patch", "delete"):
        assert _can_i(kubectl, config, verb, "secrets", namespace), f"RBAC should allow {verb}"
    kubectl("apply", "-f", "-", input=json.dumps(_secret("foreign", namespace, password="hunter2")))
    foreign = _current(kubectl, "foreign", namespace)
    as_operator = functools.partial(kubectl, kubeconfig=config, check=False)

    attempts = {
        "patch": as_operator("patch", "secret", "foreign", "-n", namespace, "--type=merge",
                             "-p", json.dumps({"stringData": {"password": "stolen"}})),
        "update": as_operator("replace", "-f", "-", input=_updated(foreign, password="stolen")),
        "delete": as_operator("delete", "secret", "foreign", "-n", namespace),
        "relabel by patch": as_operator("patch", "secret", "foreign", "-n", namespace, "--type=merge",
                                        "-p", json.dumps({"metadata": {"labels": LABELS}})),
        "relabel by update": as_operator("replace", "-f", "-", input=_updated(foreign, labels=LABELS, password="x")),
        "create unlabelled": as_operator("create", "-f", "-", input=json.dumps(_secret("new", namespace, a="b"))),
    }
    for what, result in attempts.items():
        assert result.returncode != 0, f"{what} was allowed"
        assert f"ValidatingAdmissionPolicy '{chart_rbac.policy}'" in result.stderr, (what, result.stderr)
        assert "denied request" in result.stderr and "forbidden" in result.stderr, (what, result.stderr)
    assert "may only change or delete Secrets that already carry" in attempts["relabel by patch"].stderr
    after = _current(kubectl, "foreign", namespace)
    assert after["metadata"]["resourceVersion"] == foreign["metadata"]["resourceVersion"], "the Secret changed"
    # Nobody else is affected: the admin (and any other user) still writes it.
    kubectl("patch", "secret", "foreign", "-n", namespace, "--type=merge",
            "-p", json.dumps({"stringData": {"password": "rotated"}}))


def test_operator_token_still_writes_labelled_secrets(chart_rbac, sa_kubeconfig, kubectl, namespace):
    sa = chart_rbac()
    _allow_every_secret_write(kubectl, namespace, sa)
    config = sa_kubeconfig(namespace, sa)
    as_operator = functools.partial(kubectl, kubeconfig=config)
    as_operator("create", "-f", "-", input=json.dumps(_secret("ours", namespace, LABELS, client_id="a")))
    as_operator("patch", "secret", "ours", "-n", namespace, "--type=merge",
                "-p", json.dumps({"stringData": {"client_id": "b"}}))
    as_operator("replace", "-f", "-", input=_updated(_current(kubectl, "ours", namespace), client_id="c"))
    assert base64.b64decode(_current(kubectl, "ours", namespace)["data"]["client_id"]) == b"c"
    # Taking the label off is a write that leaves an unlabelled Secret: refused too.
    result = as_operator("label", "secret", "ours", "-n", namespace, "app.kubernetes.io/managed-by-", check=False)
    assert result.returncode != 0 and f"ValidatingAdmissionPolicy '{chart_rbac.policy}'" in result.stderr
    as_operator("delete", "secret", "ours", "-n", namespace)


def test_without_the_policy_rbac_alone_lets_the_token_write_a_foreign_secret(chart_rbac, sa_kubeconfig, kubectl,
                                                                           namespace):
    """Why the policy exists (and that the tests above would notice it missing): the chart's RBAC
    by itself lets the operator's token patch and delete any Secret."""
    sa = chart_rbac("--set", "secretAdmissionPolicy.enabled=false")
    assert not any(o["kind"] in POLICY_KINDS for o in chart_rbac.objects)
    config = sa_kubeconfig(namespace, sa)
    kubectl("apply", "-f", "-", input=json.dumps(_secret("foreign", namespace, password="hunter2")))
    kubectl("patch", "secret", "foreign", "-n", namespace, "--type=merge",
            "-p", json.dumps({"stringData": {"password": "stolen"}}), kubeconfig=config)
    kubectl("delete", "secret", "foreign", "-n", namespace, kubeconfig=config)


def test_secret_policy_type_checks_cleanly(chart_rbac, kubectl):
    """The API server type-checks the policy's CEL against the Secret schema: no warnings."""
    chart_rbac()

    def checked() -> dict[str, Any] | None:
        policy = json.loads(kubectl("get", "validatingadmissionpolicy", chart_rbac.policy, "-o", "json").stdout)
        status = policy.get("status") or {}
        return status if status.get("observedGeneration") == policy["metadata"]["generation"] else None

    status = wait_for(checked, 30, "the policy's type check")
    assert not (status.get("typeChecking") or {}).get("expressionWarnings"), status
    assert not [c for c in status.get("conditions") or [] if c.get("status") == "False"], status


# ---- OwnerReferencesPermissionEnforcement ---------------------------------------------------


def _needs_the_plugin(control_plane) -> None:
    if control_plane.is_external:
        pytest.skip("needs the embedded control plane (OwnerReferencesPermissionEnforcement on)")


def _owned_secret(name: str, namespace: str, owner: dict[str, Any]) -> dict[str, Any]:
    """A Secret as the operator writes it: labelled, owned by a PingOneApplication, blocking its deletion."""
    secret = _secret(name, namespace, LABELS, client_id="a")
    secret["metadata"]["ownerReferences"] = [{
        "apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    return secret


def _owner(kubectl, namespace: str, name: str) -> dict[str, Any]:
    body = copy.deepcopy(APPLICATION)
    body["metadata"] = {"name": name, "namespace": namespace}
    body["spec"]["name"] = f"Owner-{name}"
    kubectl("apply", "-f", "-", input=json.dumps(body))
    return json.loads(kubectl("get", "pingoneapplication", name, "-n", namespace, "-o", "json").stdout)


def _drop_from_clusterrole(kubectl, role_name: str, resource: str, verb: str) -> None:
    role = json.loads(kubectl("get", "clusterrole", role_name, "-o", "json").stdout)
    for rule in role["rules"]:
        if resource in rule.get("resources", []):
            rule["verbs"] = [v for v in rule["verbs"] if v != verb]
    role["rules"] = [rule for rule in role["rules"] if rule["verbs"]]
    kubectl("replace", "-f", "-", input=json.dumps(role))


@pytest.fixture
def owners(kubectl, namespace):
    """owners(name) -> a PingOneApplication (no operator runs); all are gone after the test, so
    that a later test's cluster-wide operator does not find them in a terminating namespace."""
    yield functools.partial(_owner, kubectl, namespace)
    kubectl("delete", "pingoneapplications", "--all", "-n", namespace, "--wait=true", check=False)


@pytest.mark.parametrize("missing", [None, "finalizers", "delete"])
def test_owner_references_need_the_charts_rules(chart_rbac, sa_kubeconfig, kubectl, namespace, crd_installed,
                                                control_plane, owners, missing):
    """With the plugin on, the operator's token may create a Secret whose owner reference blocks
    its PingOneApplication's deletion (update on pingoneapplications/finalizers) and move that
    reference to a re-created PingOneApplication (delete on the Secret). Without either rule the
    API server refuses: the chart grants both on purpose."""
    _needs_the_plugin(control_plane)
    sa = chart_rbac()
    role = find(chart_rbac.objects, "ClusterRole")["metadata"]["name"]
    if missing == "finalizers":
        _drop_from_clusterrole(kubectl, role, "pingoneapplications/finalizers", "update")
    elif missing == "delete":
        _drop_from_clusterrole(kubectl, role, "secrets", "delete")
    config = sa_kubeconfig(namespace, sa)
    first = owners("first")
    created = kubectl("create", "-f", "-", input=json.dumps(_owned_secret("owned", namespace, first)),
                      kubeconfig=config, check=False)
    if missing == "finalizers":
        assert created.returncode != 0
        assert "cannot set blockOwnerDeletion" in created.stderr, created.stderr
        return
    assert created.returncode == 0, created.stderr
    # The takeover the operator does for a re-created resource: a merge patch replacing ownerReferences.
    second = owners("second")
    patch = {"metadata": _owned_secret("owned", namespace, second)["metadata"]}
    moved = kubectl("patch", "secret", "owned", "-n", namespace, "--type=merge", "-p", json.dumps(patch),
                    kubeconfig=config, check=False)
    if missing == "delete":
        assert moved.returncode != 0
        assert "cannot set an ownerRef on a resource you can't delete" in moved.stderr, moved.stderr
        return
    assert moved.returncode == 0, moved.stderr
    owners = _current(kubectl, "owned", namespace)["metadata"]["ownerReferences"]
    assert [o["uid"] for o in owners] == [second["metadata"]["uid"]]


def test_operator_under_the_clusterrole_takes_over_its_secret_after_a_re_create(
        chart_rbac, sa_kubeconfig, operator_factory, kubectl, namespace, crd_installed, control_plane):
    """A PingOneApplication deleted and re-created before garbage collection runs: the real
    operator, under the chart's token, moves the old Secret to the new resource."""
    _needs_the_plugin(control_plane)
    kcm = control_plane.controller_manager
    sa = chart_rbac()
    operator = operator_factory(kubeconfig=sa_kubeconfig(namespace, sa), args=["--all-namespaces"])
    body = copy.deepcopy(APPLICATION)
    body["metadata"] = {"name": "again", "namespace": namespace}
    body["spec"]["name"] = f"RBAC-again-{secrets.token_hex(3)}"

    def ready() -> dict[str, Any] | None:
        obj = json.loads(kubectl("get", "pingoneapplication", "again", "-n", namespace, "-o", "json").stdout)
        conditions = {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}
        return obj if conditions.get("Ready", {}).get("status") == "True" else None

    kubectl("apply", "-f", "-", input=json.dumps(body))
    first = wait_for(ready, 40, "again Ready")
    secret_name = first["status"]["secretName"]
    kcm.stop()  # a slow garbage collector: the Secret outlives its owner
    try:
        kubectl("delete", "pingoneapplication", "again", "-n", namespace, "--wait=true", "--timeout=60s")
        owners = _current(kubectl, secret_name, namespace)["metadata"]["ownerReferences"]
        assert [o["uid"] for o in owners] == [first["metadata"]["uid"]]
        kubectl("apply", "-f", "-", input=json.dumps(body))
        second = wait_for(ready, 40, "again Ready after the re-create")
        owners = _current(kubectl, secret_name, namespace)["metadata"]["ownerReferences"]
        assert [o["uid"] for o in owners] == [second["metadata"]["uid"]]
    finally:
        kcm.start()
    operator.stop()
    denied = rbac_denials(operator.logs())
    assert not denied, "\n".join(denied)
