"""Generate the PingOneApplication CRD from the pydantic models.

Kubernetes wants a structural schema: every node typed, no `$ref`, no `anyOf` with null. The
pydantic JSON schema is rewritten into that form. Defaults are left out on purpose: they belong to
the model (sent to PingOne), not to the API server (which would write them into the user's spec and
make GitOps tools show a diff); descriptions still tell them.
"""

from __future__ import annotations

from typing import Any

import yaml

from .. import (
    CATEGORIES, GROUP, KIND, PLURAL, RESOURCE_KIND, RESOURCE_PLURAL, RESOURCE_SHORT_NAMES, SHORT_NAMES, VERSION,
)
from . import (
    OPERATOR_FIELDS,
    RESOURCE_RULES,
    PingOneApplicationSpec,
    PingOneApplicationStatus,
    PingOneConnectionSpec,
    PingOneConnectionStatus,
)
from . import resource

_DROP = {"title", "default", "$defs"}


def _structural(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_structural(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _structural(merged, defs)
    if "anyOf" in node:  # Optional[X] -> X (absent means null in Kubernetes)
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if len(options) == 1:
            return _structural({**options[0], **rest}, defs)
        raise ValueError(f"cannot make a structural schema of anyOf {node['anyOf']}")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key == "const":
            out["enum"] = [value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            # JSON Schema's number form; Kubernetes speaks OpenAPI 3.0's boolean form.
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key == "properties":
            out[key] = {name: _structural(prop, defs) for name, prop in value.items()}
        elif key == "additionalProperties" and isinstance(value, bool):
            continue  # pruning (False) or x-kubernetes-preserve-unknown-fields (True) say it instead
        else:
            out[key] = _structural(value, defs)
    if "enum" in out and "type" not in out:
        out["type"] = "string"
    return out


def schema_of(model: type) -> dict[str, Any]:
    raw = model.model_json_schema(mode="validation")
    return _structural(raw, raw.get("$defs", {}))


# kopf's own bookkeeping (the last handled spec, a failing handler's retries) lives in status beside
# ours (controller/persistence.py), so that a sync's outcome and kopf's record of it are one write.
KOPF_STATUS = {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
               "description": "The operator framework's (kopf's) record of what it handled; not for users."}


def _crd(kind: str, plural: str, scope: str, spec: dict[str, Any], status: dict[str, Any], description: str,
         columns: list[dict[str, Any]], short_names: list[str],
         rules: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    status = {**status, "description": "Observed state, written by the operator."}
    status["properties"] = {**status.get("properties", {}), "kopf": KOPF_STATUS}
    status.pop("required", None)
    root: dict[str, Any] = {
        "type": "object",
        "description": description,
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
    }
    if rules:
        root["x-kubernetes-validations"] = [{"rule": r, "message": m} for r, m in rules]
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": scope,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short_names,
                "categories": CATEGORIES,
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {"openAPIV3Schema": root},
                }
            ],
        },
    }


def _ready_column(priority: int = 0) -> list[dict[str, Any]]:
    ready = {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'}
    reason = {"name": "Reason", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].reason',
              "priority": 1}
    return [ready, reason]


def crd() -> dict[str, Any]:
    """The PingOneApplication CRD."""
    spec = schema_of(PingOneApplicationSpec)
    spec["description"] = (
        "Desired state: PingOne's OIDC application fields (names as in PingOne's Update Application "
        "request) plus operator fields (" + ", ".join(OPERATOR_FIELDS) + ")."
    )
    columns = [
        *_ready_column(),
        {"name": "Client-ID", "type": "string", "jsonPath": ".status.clientId"},
        {"name": "Environment", "type": "string", "jsonPath": ".status.environmentId"},
        {"name": "Type", "type": "string", "jsonPath": ".spec.type", "priority": 1},
        {"name": "Secret", "type": "string", "jsonPath": ".status.secretName", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    return _crd(KIND, PLURAL, "Namespaced", spec, schema_of(PingOneApplicationStatus),
                "A PingOne OIDC application managed by pingone-operator.", columns, SHORT_NAMES, RESOURCE_RULES)


def resource_crd() -> dict[str, Any]:
    """The PingOneResource CRD."""
    spec = schema_of(resource.PingOneResourceSpec)
    spec["description"] = (
        "Desired state: PingOne's custom resource fields (names as in PingOne's Create Resource request), its "
        "scopes, and operator fields (" + ", ".join(resource.OPERATOR_FIELDS) + ")."
    )
    columns = [
        *_ready_column(),
        {"name": "Resource-ID", "type": "string", "jsonPath": ".status.resourceId"},
        {"name": "Environment", "type": "string", "jsonPath": ".status.environmentId"},
        {"name": "Audience", "type": "string", "jsonPath": ".spec.audience", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    return _crd(RESOURCE_KIND, RESOURCE_PLURAL, "Namespaced", spec, schema_of(resource.PingOneResourceStatus),
                "A PingOne custom API resource and its scopes, managed by pingone-operator.", columns,
                RESOURCE_SHORT_NAMES, resource.RESOURCE_RULES)


def connection_crd() -> dict[str, Any]:
    """The cluster-scoped PingOneConnection CRD."""
    spec = schema_of(PingOneConnectionSpec)
    spec["description"] = "A PingOne worker application's credentials, and which namespaces and environments may use them."
    columns = [
        *_ready_column(),
        {"name": "Environment", "type": "string", "jsonPath": ".spec.environmentId"},
        {"name": "Region", "type": "string", "jsonPath": ".spec.region"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    return _crd("PingOneConnection", "pingoneconnections", "Cluster", spec, schema_of(PingOneConnectionStatus),
                "A way in to PingOne that PingOneApplications reference with spec.connectionRef.", columns, ["p1conn"])


def peering_crd() -> dict[str, Any]:
    """kopf's ClusterKopfPeering (kopf.dev/v1, as kopf's peering.yaml defines it): the keep-alives of a
    release's replicas (replicaCount > 1). kopf never installs it, and other kopf operators may share it."""
    status = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "clusterkopfpeerings.kopf.dev"},
        "spec": {
            "group": "kopf.dev",
            "scope": "Cluster",
            "names": {"kind": "ClusterKopfPeering", "plural": "clusterkopfpeerings", "singular": "clusterkopfpeering"},
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                "type": "object", "properties": {"status": status}}}}],
        },
    }


HEADER = "---\n# Generated by `pingone-operator crds` from operator/pingone_operator/models.py. Do not edit.\n"
PEERING_HEADER = "---\n# Generated by `pingone-operator crds`: kopf's peering CRD, for a standby replica. Do not edit.\n"


def crd_files() -> dict[str, str]:
    """File name to YAML, for crds/ and the chart; `pingone-operator crds` prints them in this order."""
    files = {
        f"{document['spec']['names']['plural']}.yaml": HEADER + yaml.safe_dump(document, sort_keys=False, width=120)
        for document in (crd(), resource_crd(), connection_crd())
    }
    files["clusterkopfpeerings.yaml"] = PEERING_HEADER + yaml.safe_dump(peering_crd(), sort_keys=False, width=120)
    return files


def render_crds_yaml() -> str:
    return "".join(crd_files()[name] for name in sorted(crd_files()))
