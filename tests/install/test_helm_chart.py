"""The Helm chart: lint, render with default and non-default values, schema, RBAC, NOTES.

Everything here runs `helm` without a cluster; server-side checks are in test_install_cluster.py.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
import yaml

from tests.install.helpers import CHART, MUTATING_POLICY_API, NAMESPACE, REPO_ROOT, VALUES_DIR, find, kinds

VALUE_FILES = sorted(p.name for p in VALUES_DIR.glob("*.yaml"))
SECRET_ENV = ("PINGONE_CLIENT_ID", "PINGONE_CLIENT_SECRET")

# The operator's rules, exactly (see templates/_rbac-rules.tpl for why each is needed).
def cluster_rules(namespaced_mode: bool = False) -> list[dict[str, Any]]:
    return [
        {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"],
         "verbs": ["list", "watch"]},
        {"apiGroups": ["pingone-operator.dev"], "resources": ["pingoneconnections"],
         "verbs": ["list", "watch", "patch"]},
        {"apiGroups": ["pingone-operator.dev"], "resources": ["pingoneconnections/status"], "verbs": ["patch"]},
        # list+watch only in namespaced mode: kopf lists namespaces whenever it is not cluster-wide.
        {"apiGroups": [""], "resources": ["namespaces"],
         "verbs": ["get", "list", "watch"] if namespaced_mode else ["get"]},
    ]


NAMESPACED_RULES = [
    {"apiGroups": ["pingone-operator.dev"], "resources": ["pingoneapplications", "pingoneresources"],
     "verbs": ["list", "watch", "patch"]},
    {"apiGroups": ["pingone-operator.dev"], "resources": ["pingoneapplications/status", "pingoneresources/status"],
     "verbs": ["patch"]},
    # OwnerReferencesPermissionEnforcement: blockOwnerDeletion on the Secret's owner reference.
    {"apiGroups": ["pingone-operator.dev"], "resources": ["pingoneapplications/finalizers"], "verbs": ["update"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
    # delete: OwnerReferencesPermissionEnforcement, to change a Secret's owner reference.
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "create", "patch", "delete"]},
]
OPERATOR_NAMESPACE_RULES = [
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
]


def container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = find(objects, "Deployment")
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env_of(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container(objects)["env"]}


# ---- chart metadata -------------------------------------------------------------------------


def test_chart_metadata_matches_the_package():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["kubeVersion"] == ">=1.28.0-0"
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    version = re.search(r'^version = "([^"]+)"', pyproject, re.M)[1]
    assert chart["appVersion"] == version == "0.1.0"


def test_chart_metadata_for_publishing():
    """What Artifact Hub and `helm search` show: links, licence, the CRDs and their examples."""
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["home"].startswith("https://") and chart["sources"] and \
        all(s.startswith("https://") for s in chart["sources"])
    assert "maintainers" not in chart, "the chart names no people"
    notes = chart["annotations"]
    license_ = re.search(r'^license = "([^"]+)"', (REPO_ROOT / "pyproject.toml").read_text(), re.M)[1]
    assert notes["artifacthub.io/license"] == license_ == "Apache-2.0"
    assert (REPO_ROOT / "LICENSE").read_text().split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in (REPO_ROOT / "LICENSE").read_text()
    assert notes["artifacthub.io/operator"] == "true"
    # Every kind of the operator's API group the chart ships, by kind, version and name (not
    # kopf's own CRDs: no user writes those).
    shipped = [c for c in (yaml.safe_load(p.read_text()) for p in sorted((CHART / "crds").glob("*.yaml")))
               if c["spec"]["group"] == "pingone-operator.dev"]
    assert len(shipped) >= 3
    assert sorted((c["kind"], c["version"], c["name"]) for c in yaml.safe_load(notes["artifacthub.io/crds"])) == \
        sorted((c["spec"]["names"]["kind"], v["name"], c["metadata"]["name"]) for c in shipped for v in c["spec"]["versions"])
    # The examples are the tested ones from examples/, verbatim.
    example = [d for d in yaml.safe_load_all((REPO_ROOT / "examples" / "api-resource-with-client.yaml").read_text()) if d]
    assert yaml.safe_load(notes["artifacthub.io/crdsExamples"]) == example
    for link in yaml.safe_load(notes["artifacthub.io/links"]):
        path = link["url"].split("/blob/main/", 1)[1]
        assert link["url"].startswith(chart["home"]) and (REPO_ROOT / path).is_file(), link


def test_chart_ships_the_generated_crds_unchanged():
    # `make crds` writes both folders; a hand edit to either would show here.
    root = sorted(p.name for p in (REPO_ROOT / "crds").glob("*.yaml"))
    assert "pingoneapplications.yaml" in root
    assert sorted(p.name for p in (CHART / "crds").glob("*.yaml")) == root
    for name in root:
        assert (CHART / "crds" / name).read_bytes() == (REPO_ROOT / "crds" / name).read_bytes(), name
    assert not list((CHART / "templates").glob("*crd*")), "the CRDs live in crds/ only (see docs/install.md)"


# ---- lint -----------------------------------------------------------------------------------


def test_lint_default_values(helm):
    result = helm("lint", "--strict", CHART)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("values_file", VALUE_FILES)
def test_lint_non_default_values(helm, values_file):
    result = helm("lint", "--strict", CHART, "-f", VALUES_DIR / values_file)
    assert result.returncode == 0, result.stdout + result.stderr


# ---- default rendering ----------------------------------------------------------------------


def test_default_objects(render):
    objects = render()
    assert kinds(objects) == ["ClusterRole", "ClusterRole", "ClusterRole", "ClusterRoleBinding",
                              "Deployment", "ServiceAccount", "ValidatingAdmissionPolicy",
                              "ValidatingAdmissionPolicyBinding"]
    for obj in objects:
        if obj["kind"] in ("Deployment", "ServiceAccount"):
            assert obj["metadata"]["namespace"] == NAMESPACE
    # CRDs are left to crds/: `helm template` without --include-crds shows none.
    assert "CustomResourceDefinition" not in kinds(objects)


def test_include_crds_renders_the_generated_files(render):
    objects = render(extra=["--include-crds"])
    crds = {o["metadata"]["name"]: o for o in objects if o["kind"] == "CustomResourceDefinition"}
    expected = [yaml.safe_load(p.read_text()) for p in sorted((REPO_ROOT / "crds").glob("*.yaml"))]
    assert crds == {c["metadata"]["name"]: c for c in expected}
    assert "pingoneapplications.pingone-operator.dev" in crds


def test_deployment_is_a_single_recreated_replica(render):
    deployment = find(render(), "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    assert "PEERING_NAME" not in env_of(render()), "one replica runs standalone"


PEERING_RULES = [
    {"apiGroups": ["kopf.dev"], "resources": ["clusterkopfpeerings"], "verbs": ["list", "watch"]},
    {"apiGroups": ["kopf.dev"], "resources": ["clusterkopfpeerings"], "resourceNames": ["pingone-operator"],
     "verbs": ["patch"]},
]


def test_two_replicas_are_an_active_pod_and_a_standby(render):
    objects = render({"replicaCount": 2})
    deployment = find(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    # A new pod joins the peering as a standby: a rolling update never runs two active pods.
    assert deployment["spec"]["strategy"] == {"type": "RollingUpdate",
                                              "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    env = env_of(objects)
    assert env["PEERING_NAME"]["value"] == "pingone-operator"
    assert env["PEERING_LIFETIME_SECONDS"]["value"] == "15"
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}  # the peer's identity
    assert "PEERING_PRIORITY" not in env, "each pod's priority comes from its start time, never a shared value"
    peering = find(objects, "ClusterKopfPeering", "pingone-operator")
    assert peering["apiVersion"] == "kopf.dev/v1" and "namespace" not in peering["metadata"]
    assert find(objects, "ClusterRole", "pingone-operator")["rules"] == cluster_rules() + PEERING_RULES + \
        NAMESPACED_RULES
    # Its CRD ships in crds/, beside the operator's own.
    crd = find(render({"replicaCount": 2}, extra=["--include-crds"]), "CustomResourceDefinition",
               "clusterkopfpeerings.kopf.dev")
    assert crd["spec"]["names"]["kind"] == "ClusterKopfPeering"


def test_peering_values(render):
    """Each release its own peering (the name), in namespaced mode too (one ClusterKopfPeering)."""
    objects = render({"replicaCount": 3, "peering": {"name": "team-a-operators", "lifetimeSeconds": 20},
                      "watchNamespaces": ["team-a"]}, release="shard-a")
    env = env_of(objects)
    assert (env["PEERING_NAME"]["value"], env["PEERING_LIFETIME_SECONDS"]["value"]) == ("team-a-operators", "20")
    assert find(objects, "ClusterKopfPeering")["metadata"]["name"] == "team-a-operators"
    rules = find(objects, "ClusterRole", "shard-a-pingone-operator")["rules"]
    assert rules[-1]["resourceNames"] == ["team-a-operators"]
    other = render({"replicaCount": 2, "watchNamespaces": ["team-b"]}, release="shard-b")
    assert env_of(other)["PEERING_NAME"]["value"] == "shard-b-pingone-operator"
    assert "ClusterKopfPeering" not in kinds(render({"replicaCount": 0}))


def test_pod_is_restricted(render):
    objects = render()
    pod = find(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert isinstance(pod["securityContext"]["runAsUser"], int) and pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is True
    assert pod["serviceAccountName"] == "pingone-operator"
    sc = container(objects)["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert "privileged" not in sc
    # /tmp is the only writable path.
    assert container(objects)["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]


def test_resources_and_probes(render):
    c = container(render())
    assert c["resources"]["requests"] == {"cpu": "50m", "memory": "128Mi"}
    assert c["resources"]["limits"]["memory"] == "384Mi"
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "healthz"}
    assert {"name": "healthz", "containerPort": 8080, "protocol": "TCP"} in c["ports"]
    assert "readinessProbe" not in c and "startupProbe" not in c


def test_args_and_environment(render):
    objects = render()
    c = container(objects)
    assert "command" not in c, "the image's entrypoint is `pingone-operator run`"
    assert c["image"] == "pingone-operator:0.1.0"
    assert c["args"] == ["--all-namespaces", "--liveness-port=8080", "--log-format=json", "--metrics-port=0"]
    env = env_of(objects)
    assert list(env) == [
        "PINGONE_REGION", "PINGONE_ENVIRONMENT_ID", "PINGONE_CLIENT_ID", "PINGONE_CLIENT_SECRET",
        "PINGONE_TOKEN_AUTH_METHOD", "PINGONE_REQUESTS_PER_SECOND", "PINGONE_MAX_CONCURRENCY",
        "PINGONE_TIMEOUT_SECONDS", "DRIFT_INTERVAL_SECONDS", "SECRET_CHECK_INTERVAL_SECONDS",
        "REQUIRE_CONNECTION_REF", "DELETE_GIVE_UP_SECONDS", "RESYNC_MIN_INTERVAL_SECONDS", "LOG_LEVEL",
        "OPERATOR_NAMESPACE", "POD_NAME",
    ]
    # The empty lists of defaultConnection.* are left out: the operator's own defaults apply.
    assert {k: v["value"] for k, v in env.items() if "value" in v} == {
        "PINGONE_REGION": "com", "PINGONE_TOKEN_AUTH_METHOD": "CLIENT_SECRET_BASIC",
        "PINGONE_REQUESTS_PER_SECOND": "50", "PINGONE_MAX_CONCURRENCY": "16", "PINGONE_TIMEOUT_SECONDS": "30",
        "DRIFT_INTERVAL_SECONDS": "600", "SECRET_CHECK_INTERVAL_SECONDS": "3600", "REQUIRE_CONNECTION_REF": "false",
        "DELETE_GIVE_UP_SECONDS": "600", "RESYNC_MIN_INTERVAL_SECONDS": "30", "LOG_LEVEL": "INFO",
    }
    refs = {k: v["valueFrom"]["secretKeyRef"] for k, v in env.items() if "secretKeyRef" in v.get("valueFrom", {})}
    assert refs == {
        "PINGONE_ENVIRONMENT_ID": {"name": "pingone-operator-credentials", "key": "environmentId"},
        "PINGONE_CLIENT_ID": {"name": "pingone-operator-credentials", "key": "clientId"},
        "PINGONE_CLIENT_SECRET": {"name": "pingone-operator-credentials", "key": "clientSecret"},
    }
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["OPERATOR_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert "Secret" not in kinds(objects), "no Secret is rendered unless pingone.createSecret=true"


# ---- RBAC -----------------------------------------------------------------------------------


def test_clusterrole_is_least_privilege(render):
    objects = render()
    role = find(objects, "ClusterRole", "pingone-operator")
    assert role["rules"] == cluster_rules() + NAMESPACED_RULES
    for rule in role["rules"]:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
        if "secrets" in rule["resources"]:
            assert not {"list", "watch", "update"} & set(rule["verbs"]), "Secrets by name only"
    granted = {(g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    namespaces = [r for r in role["rules"] if r["resources"] == ["namespaces"]]
    assert [r["verbs"] for r in namespaces] == [["get"]], "cluster-wide, kopf never lists namespaces"
    assert not any(g in ("kopf.dev", "zalando.org") for g, _ in granted), "standalone: no peering"
    binding = find(objects, "ClusterRoleBinding", "pingone-operator")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "pingone-operator"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "pingone-operator", "namespace": NAMESPACE}]


def test_aggregated_roles_for_people(render):
    objects = render()
    view = find(objects, "ClusterRole", "pingone-operator-aggregate-view")
    assert view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    assert view["rules"][0]["verbs"] == ["get", "list", "watch"]
    edit = find(objects, "ClusterRole", "pingone-operator-aggregate-edit")
    assert edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-edit"] == "true"
    assert edit["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-admin"] == "true"
    assert "pingoneapplications/status" not in edit["rules"][0]["resources"]
    assert {"pingoneapplications", "pingoneresources"} <= set(edit["rules"][0]["resources"])
    assert {"pingoneresources", "pingoneresources/status"} <= set(view["rules"][0]["resources"])
    off = render({"rbac": {"aggregateToDefaultRoles": False}})
    assert [o["metadata"]["name"] for o in off if o["kind"] == "ClusterRole"] == ["pingone-operator"]


def test_rbac_create_false(render):
    objects = render({"rbac": {"create": False}, "serviceAccount": {"create": False, "name": "mine"}})
    assert kinds(objects) == ["Deployment", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
    assert find(objects, "Deployment")["spec"]["template"]["spec"]["serviceAccountName"] == "mine"
    # The Secrets policy does not depend on who made the RBAC: it follows the ServiceAccount.
    (condition,) = find(objects, "ValidatingAdmissionPolicy")["spec"]["matchConditions"]
    assert condition["expression"] == 'request.userInfo.username == "system:serviceaccount:pingone-operator:mine"'


def test_watch_namespaces(render):
    objects = render(files=["watch-namespaces.yaml"])
    assert kinds(objects) == ["ClusterRole", "ClusterRole", "ClusterRole", "ClusterRoleBinding", "Deployment",
                              "Role", "Role", "Role", "RoleBinding", "RoleBinding", "RoleBinding", "ServiceAccount",
                              "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]
    # Cluster-scoped objects only.
    assert find(objects, "ClusterRole", "pingone-operator")["rules"] == cluster_rules(namespaced_mode=True)
    # The operator's own namespace: connection Secrets and the Events of cluster-scoped objects.
    own = find(objects, "Role", "pingone-operator-operator-namespace", NAMESPACE)
    assert own["rules"] == OPERATOR_NAMESPACE_RULES
    assert find(objects, "RoleBinding", "pingone-operator-operator-namespace", NAMESPACE)["roleRef"]["name"] == \
        "pingone-operator-operator-namespace"
    for ns in ("team-a", "team-b"):
        assert find(objects, "Role", "pingone-operator", ns)["rules"] == NAMESPACED_RULES
        binding = find(objects, "RoleBinding", "pingone-operator", ns)
        assert binding["roleRef"]["kind"] == "Role" and binding["roleRef"]["name"] == "pingone-operator"
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "pingone-operator", "namespace": NAMESPACE}]
    c = container(objects)
    assert "--all-namespaces" not in c["args"]
    env = env_of(objects)
    assert env["WATCH_NAMESPACES"]["value"] == "team-a,team-b"
    assert env["PINGONE_ENVIRONMENT_ID"] == {"name": "PINGONE_ENVIRONMENT_ID",
                                             "value": "3f5c1a7e-8a0e-4c6b-9a55-2d3b1e0c9f11"}
    assert env["PINGONE_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"] == {"name": "p1-worker", "key": "secret"}
    assert env["PINGONE_CLIENT_ID"]["valueFrom"]["secretKeyRef"] == {"name": "p1-worker", "key": "id"}
    assert env["PINGONE_REGION"]["value"] == "eu"
    assert env["PINGONE_TOKEN_AUTH_METHOD"]["value"] == "CLIENT_SECRET_JWT"


# ---- the Secrets admission policy -----------------------------------------------------------

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"


def test_secret_policy_is_on_by_default(render):
    objects = render()
    policy = find(objects, "ValidatingAdmissionPolicy", "pingone-operator-secrets")
    assert policy["apiVersion"] == "admissionregistration.k8s.io/v1"
    spec = policy["spec"]
    assert spec["failurePolicy"] == "Fail"
    (rule,) = spec["matchConstraints"]["resourceRules"]
    assert rule == {"apiGroups": [""], "apiVersions": ["v1"], "resources": ["secrets"],
                    "operations": ["CREATE", "UPDATE", "DELETE"]}
    # Only the operator's own ServiceAccount: nobody else is affected.
    assert spec["matchConditions"] == [{
        "name": "operator-service-account",
        "expression": 'request.userInfo.username == "system:serviceaccount:pingone-operator:pingone-operator"'}]
    # The label the operator writes (kube.py), checked on the new and on the old object.
    from pingone_operator.kube.secrets import MANAGED_BY

    variables = {v["name"]: v["expression"] for v in spec["variables"]}
    assert set(variables) == {"newLabelled", "oldLabelled"}
    for name, obj in (("newLabelled", "object"), ("oldLabelled", "oldObject")):
        assert f"{obj}.metadata.labels['{MANAGED_BY_LABEL}'] == '{MANAGED_BY}'" in variables[name]
    assert [v["expression"] for v in spec["validations"]] == [
        "request.operation == 'DELETE' || variables.newLabelled",
        "request.operation == 'CREATE' || variables.oldLabelled",
    ]
    assert all(v["reason"] == "Forbidden" for v in spec["validations"])
    binding = find(objects, "ValidatingAdmissionPolicyBinding", "pingone-operator-secrets")
    assert binding["spec"] == {"policyName": "pingone-operator-secrets", "validationActions": ["Deny"]}
    assert "namespace" not in policy["metadata"] and "namespace" not in binding["metadata"]


def test_secret_policy_follows_release_and_serviceaccount(render):
    objects = render({"serviceAccount": {"name": "p1"}}, release="prod", namespace="platform")
    policy = find(objects, "ValidatingAdmissionPolicy", "prod-pingone-operator-secrets")
    assert policy["spec"]["matchConditions"][0]["expression"] == \
        'request.userInfo.username == "system:serviceaccount:platform:p1"'
    binding = find(objects, "ValidatingAdmissionPolicyBinding", "prod-pingone-operator-secrets")
    assert binding["spec"]["policyName"] == "prod-pingone-operator-secrets"


def test_secret_policy_off(render, helm):
    objects = render({"secretAdmissionPolicy": {"enabled": False}})
    assert not {"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} & set(kinds(objects))
    result = helm("lint", "--strict", CHART, "--set", "secretAdmissionPolicy.enabled=false")
    assert result.returncode == 0, result.stdout + result.stderr


def test_finalizer_policy_adds_the_operators_finalizer_to_new_applications_and_resources(render):
    from pingone_operator.controller.handlers import FINALIZER

    objects = render(extra=["--api-versions", MUTATING_POLICY_API])
    policy = find(objects, "MutatingAdmissionPolicy", "pingone-operator-finalizer")
    spec = policy["spec"]
    assert spec["failurePolicy"] == "Ignore"  # the operator adds it itself when the policy cannot
    (rule,) = spec["matchConstraints"]["resourceRules"]
    assert rule["apiGroups"] == ["pingone-operator.dev"] and rule["operations"] == ["CREATE"]
    # Connections have no deletion handler, so no finalizer.
    assert rule["resources"] == ["pingoneapplications", "pingoneresources"]
    (mutation,) = spec["mutations"]
    assert mutation["applyConfiguration"]["expression"] == \
        f'Object{{metadata: Object.metadata{{finalizers: ["{FINALIZER}"]}}}}'
    assert f'f == "{FINALIZER}"' in spec["matchConditions"][0]["expression"]
    binding = find(objects, "MutatingAdmissionPolicyBinding", "pingone-operator-finalizer")
    assert binding["spec"] == {"policyName": "pingone-operator-finalizer"}  # cluster-wide: every namespace


def test_finalizer_policy_binds_to_the_watched_namespaces_only(render):
    objects = render({"watchNamespaces": ["team-a", "team-b"]}, extra=["--api-versions", MUTATING_POLICY_API])
    binding = find(objects, "MutatingAdmissionPolicyBinding", "pingone-operator-finalizer")
    assert binding["spec"]["matchResources"]["namespaceSelector"] == {"matchExpressions": [
        {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["team-a", "team-b"]}]}


def test_finalizer_policy_only_where_the_cluster_serves_it_and_when_enabled(render):
    assert "MutatingAdmissionPolicy" not in kinds(render())  # before Kubernetes 1.36: the operator adds it
    off = render({"finalizerAdmissionPolicy": {"enabled": False}}, extra=["--api-versions", MUTATING_POLICY_API])
    assert not {"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"} & set(kinds(off))


def test_secret_policy_needs_kubernetes_1_30(helm):
    result = helm("template", "x", CHART, "--kube-version", "1.29.4")
    assert result.returncode != 0
    assert "secretAdmissionPolicy.enabled needs Kubernetes 1.30 or later" in result.stderr
    result = helm("template", "x", CHART, "--kube-version", "1.29.4", "--set", "secretAdmissionPolicy.enabled=false")
    assert result.returncode == 0, result.stderr
    result = helm("template", "x", CHART, "--kube-version", "1.30.0")
    assert result.returncode == 0 and "kind: ValidatingAdmissionPolicy\n" in result.stdout, result.stderr


# ---- the default connection, deletions and resyncs ------------------------------------------


def test_default_connection_values_become_environment(render):
    env = env_of(render({
        "defaultConnection": {
            "allowedNamespaces": ["team-a", "team-b"],
            "allowedEnvironments": ["3f5c1a7e-8a0e-4c6b-9a55-2d3b1e0c9f11", "5e2d0b8f-1b2c-4d3e-8f90-0a1b2c3d4e5f"],
            "allowedRoles": ["Identity Data Read Only", "Environment Admin"],
            "required": True,
            "adoption": {"allowedNamespaces": ["team-a"],
                         "applicationIds": ["0c8e7a0c-1111-4222-8333-944455566677"]},
        },
        "deletion": {"giveUpSeconds": 1800},
        "resync": {"minIntervalSeconds": 0},
    }))
    assert {k: env[k]["value"] for k in (
        "DEFAULT_CONNECTION_ALLOWED_NAMESPACES", "DEFAULT_CONNECTION_ALLOWED_ENVIRONMENTS",
        "DEFAULT_CONNECTION_ALLOWED_ROLES", "REQUIRE_CONNECTION_REF",
        "ADOPTION_ALLOWED_NAMESPACES", "ADOPTION_ALLOWED_APPLICATION_IDS", "DELETE_GIVE_UP_SECONDS",
        "RESYNC_MIN_INTERVAL_SECONDS")} == {
        "DEFAULT_CONNECTION_ALLOWED_NAMESPACES": "team-a,team-b",
        "DEFAULT_CONNECTION_ALLOWED_ENVIRONMENTS": "3f5c1a7e-8a0e-4c6b-9a55-2d3b1e0c9f11,"
                                                   "5e2d0b8f-1b2c-4d3e-8f90-0a1b2c3d4e5f",
        "DEFAULT_CONNECTION_ALLOWED_ROLES": "Identity Data Read Only,Environment Admin",
        "REQUIRE_CONNECTION_REF": "true",
        "ADOPTION_ALLOWED_NAMESPACES": "team-a",
        "ADOPTION_ALLOWED_APPLICATION_IDS": "0c8e7a0c-1111-4222-8333-944455566677",
        "DELETE_GIVE_UP_SECONDS": "1800",
        "RESYNC_MIN_INTERVAL_SECONDS": "0",
    }


def test_rendered_environment_is_what_the_operator_reads(render):
    """The variables as rendered pass the operator's own settings parser, with the values meant."""
    from pingone_operator.config import load_operator_settings

    env = env_of(render(files=["everything.yaml"]))
    settings = load_operator_settings({k: v["value"] for k, v in env.items() if "value" in v})
    assert settings.default_allowed_namespaces == ("team-a",)
    assert settings.default_allowed_environments == ("3f5c1a7e-8a0e-4c6b-9a55-2d3b1e0c9f11",)
    assert settings.default_allowed_roles == ("Identity Data Read Only",)
    assert settings.require_connection_ref is True
    assert settings.adoption_allowed_namespaces == ("team-a",)
    assert settings.adoption_allowed_application_ids == ("0c8e7a0c-1111-4222-8333-944455566677",)
    assert (settings.delete_give_up_seconds, settings.resync_min_interval_seconds) == (60, 5)
    defaults = load_operator_settings({k: v["value"] for k, v in env_of(render()).items() if "value" in v})
    assert defaults.require_connection_ref is False and defaults.default_allowed_namespaces == ()
    assert defaults.default_allowed_roles == ()


# ---- metrics --------------------------------------------------------------------------------


def test_metrics_service_and_servicemonitor(render):
    objects = render(files=["metrics.yaml"])
    c = container(objects)
    assert {"name": "metrics", "containerPort": 9090, "protocol": "TCP"} in c["ports"]
    assert "--metrics-port=9090" in c["args"]
    service = find(objects, "Service", "pingone-operator-metrics")
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}]
    pod_labels = find(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    monitor = find(objects, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["namespace"] == "monitoring"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics" and endpoint["interval"] == "1m"
    assert endpoint["relabelings"][0]["targetLabel"] == "cluster"


def test_metrics_port_follows_the_value(render):
    objects = render({"metrics": {"enabled": True, "port": 9200}})
    assert "--metrics-port=9200" in container(objects)["args"]
    assert find(objects, "Service")["spec"]["ports"][0]["port"] == 9200
    assert "ServiceMonitor" not in kinds(objects)


def test_servicemonitor_needs_metrics(helm):
    result = helm("template", "x", CHART, "--set", "metrics.serviceMonitor.enabled=true")
    assert result.returncode != 0
    assert "metrics.serviceMonitor.enabled needs metrics.enabled=true" in result.stderr


# ---- credentials ----------------------------------------------------------------------------


def test_create_secret_opt_in(render):
    objects = render(files=["create-secret.yaml"])
    secret = find(objects, "Secret", "pingone-operator-credentials")
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data == {"clientId": "0c8e7a0c-1111-4222-8333-944455566677", "clientSecret": "not-a-real-secret",
                    "environmentId": "3f5c1a7e-8a0e-4c6b-9a55-2d3b1e0c9f11"}
    deployment = find(objects, "Deployment")
    assert re.fullmatch(r"[0-9a-f]{64}",
                        deployment["spec"]["template"]["metadata"]["annotations"]["checksum/credentials"])
    env = env_of(objects)
    assert env["PINGONE_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "pingone-operator-credentials"
    # The secret value never lands in the pod spec itself.
    assert "not-a-real-secret" not in json.dumps(deployment)


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "pingone.createSecret=true", "--set", "pingone.clientId=a",
      "--set", "pingone.environmentId=3f5c1a7e-8a0e-4c6b-9a55-2d3b1e0c9f11"],
     "pingone.createSecret=true needs pingone.clientId and pingone.clientSecret"),
    (["--set", "pingone.createSecret=true", "--set", "pingone.clientId=a", "--set", "pingone.clientSecret=b"],
     "pingone.createSecret=true needs pingone.environmentId"),
    (["--set", "pingone.clientSecret=b"], "only read with pingone.createSecret=true"),
    (["-f", str(VALUES_DIR / "create-secret.yaml"), "--set", "pingone.existingSecret=mine"],
     "pingone.createSecret and pingone.existingSecret exclude each other"),
])
def test_inconsistent_credentials_values_fail(helm, args, message):
    result = helm("template", "x", CHART, *args)
    assert result.returncode != 0
    assert message in result.stderr


# ---- values schema --------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["--set", "replicaCont=1"], "additional properties 'replicaCont' not allowed"),
    (["--set", "pingone.existingSecrets=x"], "additional properties 'existingSecrets' not allowed"),
    (["--set", "metrics.serviceMonitor.enable=true"], "additional properties 'enable' not allowed"),
    (["--set", "securityContext.readOnlyRootFileSystem=true"], "additional properties 'readOnlyRootFileSystem'"),
    (["--set", "replicaCount=-1"], "/replicaCount"),
    (["--set", "peering.lifetimeSeconds=5"], "/peering/lifetimeSeconds"),
    (["--set", "peering.name=Team_A"], "/peering/name"),
    (["--set", "pingone.region=us"], "/pingone/region"),
    (["--set", "logLevel=TRACE"], "/logLevel"),
    (["--set", "pingone.environmentId=not-a-uuid"], "/pingone/environmentId"),
    (["--set", "watchNamespaces[0]=Team_A"], "/watchNamespaces/0"),
    (["--set", "image.pullPolicy=Sometimes"], "/image/pullPolicy"),
    (["--set", "secretAdmissionPolicy.enable=false"], "additional properties 'enable' not allowed"),
    (["--set", "defaultConnection.allowedEnvironment={x}"], "additional properties 'allowedEnvironment'"),
    (["--set", "defaultConnection.allowedEnvironments[0]=not-a-uuid"], "/defaultConnection/allowedEnvironments/0"),
    (["--set", "defaultConnection.allowedNamespaces[0]=Team_A"], "/defaultConnection/allowedNamespaces/0"),
    (["--set", "defaultConnection.adoption.applicationIds[0]=app-1"], "/defaultConnection/adoption/applicationIds/0"),
    (["--set", "defaultConnection.required=yes"], "/defaultConnection/required"),
    (["--set", "defaultConnection.allowedRole={x}"], "additional properties 'allowedRole'"),
    # The variable is comma-separated: a comma in a name would split it.
    (["--set-json", 'defaultConnection.allowedRoles=["Read, Write"]'], "/defaultConnection/allowedRoles/0"),
    (["--set-json", 'defaultConnection.allowedRoles=[""]'], "/defaultConnection/allowedRoles/0"),
    (["--set", "metrics.prometheusRule.enable=true"], "additional properties 'enable' not allowed"),
    (["--set", "metrics.grafanaDashboard.namespace=Grafana"], "/metrics/grafanaDashboard/namespace"),
    (["--set", "deletion.giveUpSeconds=-1"], "/deletion/giveUpSeconds"),
    (["--set", "resync.minIntervalSeconds=1.5"], "/resync/minIntervalSeconds"),
])
def test_schema_rejects_bad_values(helm, args, message):
    for command in (("template", "x", CHART), ("lint", CHART)):
        result = helm(*command, *args)
        assert result.returncode != 0, f"helm {command[0]} accepted {args}"
        output = result.stdout + result.stderr
        assert "values don't meet the specifications of the schema" in output, output
        assert message in output, output


def _schema_objects(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if node.get("type") == "object" and "properties" in node:
        found.append((path or "<root>", node))
    for key, child in node.get("properties", {}).items():
        found += _schema_objects(child, f"{path}.{key}" if path else key)
    if isinstance(node.get("items"), dict):
        found += _schema_objects(node["items"], f"{path}[]")
    return found


def test_schema_is_closed_at_every_level():
    schema = json.loads((CHART / "values.schema.json").read_text())
    objects = _schema_objects(schema)
    assert len(objects) > 15
    open_ = [path for path, node in objects if node.get("additionalProperties") is not False]
    assert not open_, f"objects that accept unknown keys: {open_}"


def _leaves(node: Any, path: str = "") -> list[str]:
    if isinstance(node, dict) and node:
        return [leaf for key, child in node.items() for leaf in _leaves(child, f"{path}.{key}" if path else key)]
    return [path]


def test_schema_covers_every_default_value():
    """values.yaml itself passes the closed schema (helm lint checks that), and every key is described."""
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for leaf in _leaves(values):
        node = schema
        for part in leaf.split("."):
            if part in node.get("properties", {}):
                node = node["properties"][part]
                continue
            patterns = [p for p in node.get("patternProperties", {}) if re.search(p, part)]
            assert patterns, f"{leaf} is not in values.schema.json"
            node = node["patternProperties"][patterns[0]]


# ---- other values ---------------------------------------------------------------------------


def test_everything_values(render):
    objects = render(files=["everything.yaml"])
    assert "ServiceAccount" not in kinds(objects)
    deployment = find(objects, "Deployment", "p1-op")
    assert deployment["spec"]["replicas"] == 0
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["labels"]["example.com/cost-center"] == "42"
    assert pod["metadata"]["annotations"] == {"example.com/team": "platform"}
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "pingone"
    assert spec["imagePullSecrets"] == [{"name": "regcred"}]
    assert spec["priorityClassName"] == "system-cluster-critical"
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert spec["tolerations"][0]["key"] == "dedicated"
    assert "nodeAffinity" in spec["affinity"]
    assert spec["terminationGracePeriodSeconds"] == 120
    c = container(objects)
    assert c["image"] == ("registry.example.com/platform/pingone-operator@sha256:"
                          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    assert c["imagePullPolicy"] == "Always"
    assert c["args"] == ["--liveness-port=8080", "--log-format=text", "--metrics-port=9100",
                         "--liveness-host=0.0.0.0"]
    assert "livenessProbe" not in c
    assert c["resources"]["limits"] == {"cpu": "1", "memory": "512Mi"}
    env = env_of(objects)
    assert env["PINGONE_API_URL"]["value"] == "https://pingone-proxy.example.com/v1"
    assert env["PINGONE_AUTH_URL"]["value"] == "https://pingone-auth-proxy.example.com"
    assert env["PINGONE_REGION"]["value"] == "com.au"
    assert env["PINGONE_REQUESTS_PER_SECOND"]["value"] == "2.5"
    assert env["PINGONE_MAX_CONCURRENCY"]["value"] == "4"
    assert env["PINGONE_TIMEOUT_SECONDS"]["value"] == "12"
    assert env["DRIFT_INTERVAL_SECONDS"]["value"] == "120"
    assert env["LOG_LEVEL"]["value"] == "WARNING"
    assert env["WATCH_NAMESPACES"]["value"] == "team-a"
    assert env["DEFAULT_CONNECTION_ALLOWED_NAMESPACES"]["value"] == "team-a"
    assert env["DEFAULT_CONNECTION_ALLOWED_ENVIRONMENTS"]["value"] == "3f5c1a7e-8a0e-4c6b-9a55-2d3b1e0c9f11"
    assert env["DEFAULT_CONNECTION_ALLOWED_ROLES"]["value"] == "Identity Data Read Only"
    assert env["REQUIRE_CONNECTION_REF"]["value"] == "true"
    assert env["ADOPTION_ALLOWED_NAMESPACES"]["value"] == "team-a"
    assert env["ADOPTION_ALLOWED_APPLICATION_IDS"]["value"] == "0c8e7a0c-1111-4222-8333-944455566677"
    assert env["DELETE_GIVE_UP_SECONDS"]["value"] == "60"
    assert env["RESYNC_MIN_INTERVAL_SECONDS"]["value"] == "5"
    assert "ValidatingAdmissionPolicy" not in kinds(objects)
    assert env["HTTPS_PROXY"]["value"] == "http://proxy.example.com:3128"
    assert env["PINGONE_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "p1-credentials"
    service = find(objects, "Service", "p1-op-metrics")
    assert service["metadata"]["annotations"] == {"example.com/scrape": "true"}
    role = find(objects, "Role", "p1-op", "team-a")
    assert role["rules"] == NAMESPACED_RULES
    assert find(objects, "RoleBinding", "p1-op", "team-a")["subjects"][0]["name"] == "pingone"


def test_release_name_containing_the_chart_name(render):
    objects = render(release="my-pingone-operator")
    assert find(objects, "Deployment")["metadata"]["name"] == "my-pingone-operator"
    objects = render(release="prod")
    assert find(objects, "Deployment")["metadata"]["name"] == "prod-pingone-operator"
    assert env_of(objects)["PINGONE_CLIENT_ID"]["valueFrom"]["secretKeyRef"]["name"] == \
        "prod-pingone-operator-credentials"


# ---- docs -----------------------------------------------------------------------------------


# Kubernetes objects passed through whole; the table documents them as one row each.
PASS_THROUGH = ("podSecurityContext", "securityContext", "resources")


# The README's table, and the chart's own README (what Artifact Hub and `helm show readme` show).
VALUE_TABLES = {"README.md": (REPO_ROOT / "README.md", "### Helm values"),
                "chart README.md": (CHART / "README.md", "## Values")}


def _value_table(name: str) -> str:
    path, heading = VALUE_TABLES[name]
    return path.read_text().split(heading, 1)[1].split("\n## ", 1)[0].strip()


@pytest.mark.parametrize("doc", VALUE_TABLES)
def test_every_value_is_documented(doc):
    docs = _value_table(doc)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    rows = set(re.findall(r"^\| `([^`]+)` \|", docs, re.M))
    expected = {leaf.split(".")[0] if leaf.startswith(PASS_THROUGH) else leaf for leaf in _leaves(values)}
    assert expected - rows == set(), f"values missing from the {doc} values table"
    assert rows - expected == set(), f"rows in the {doc} values table for values the chart does not have"
