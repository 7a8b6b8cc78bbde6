"""The operator's own Kubernetes writes: the credentials Secret and the urgent status patch.

Uses the official client, off the event loop. Reads one Secret by name (no list/watch on
Secrets), writes it only when its content or ownership changes, and never overwrites a Secret that
another owner holds. Secret values never reach a log line or an exception message.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import kubernetes
from kubernetes.client import ApiClient, CoreV1Api, CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from . import GROUP, KIND, PLURAL, VERSION
from .reconcile import Resource, SecretConflict

MANAGED_BY = "pingone-operator"
LABEL_APPLICATION = f"{GROUP}/application"


def api_client() -> ApiClient:
    """In-cluster credentials when running in a pod, else KUBECONFIG (the same choice kopf makes)."""
    configuration = kubernetes.client.Configuration()
    try:
        kubernetes.config.load_incluster_config(client_configuration=configuration)
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config(client_configuration=configuration)
    return ApiClient(configuration)


def _owner_reference(resource: Resource) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "name": resource.name,
        "uid": resource.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _ours(secret: Any, resource: Resource) -> bool:
    """Ours if a PingOneApplication of this name controls it (a re-created resource keeps its Secret)."""
    for ref in secret.metadata.owner_references or []:
        if ref.kind == KIND and ref.api_version.startswith(f"{GROUP}/") and ref.name == resource.name and ref.controller:
            return True
    return False


class KubeSecretStore:
    def __init__(self, api: ApiClient) -> None:
        self._core = CoreV1Api(api)

    async def ensure(self, resource: Resource, secret_name: str, data: dict[str, str]) -> str:
        return await asyncio.to_thread(self._ensure, resource, secret_name, data)

    def _ensure(self, resource: Resource, secret_name: str, data: dict[str, str]) -> str:
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        # Labels are our own, never copied from the resource: Argo CD label tracking would
        # otherwise claim the Secret and prune it.
        metadata = {
            "name": secret_name,
            "namespace": resource.namespace,
            "labels": {"app.kubernetes.io/managed-by": MANAGED_BY, LABEL_APPLICATION: resource.name},
            "ownerReferences": [_owner_reference(resource)],
        }
        try:
            current = self._core.read_namespaced_secret(secret_name, resource.namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise SecretConflict(f"cannot read Secret {secret_name}: HTTP {exc.status} {exc.reason}") from None
            body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": metadata, "data": encoded}
            try:
                self._core.create_namespaced_secret(resource.namespace, body)
            except ApiException as exc2:
                raise SecretConflict(f"cannot create Secret {secret_name}: HTTP {exc2.status} {exc2.reason}") from None
            return "created"
        if not _ours(current, resource):
            raise SecretConflict(
                f"Secret {secret_name} exists and is not owned by this PingOneApplication; "
                "delete it or set spec.secretName to another name"
            )
        same_owner = any(ref.uid == resource.uid for ref in current.metadata.owner_references or [])
        labels_ok = all((current.metadata.labels or {}).get(k) == v for k, v in metadata["labels"].items())
        if (current.data or {}) == encoded and same_owner and labels_ok:
            return "unchanged"
        # A JSON merge patch: `data: null` entries remove keys we no longer write.
        patch_data: dict[str, Any] = {k: None for k in (current.data or {}) if k not in encoded}
        patch_data.update(encoded)
        patch = {
            "metadata": {"labels": metadata["labels"], "ownerReferences": metadata["ownerReferences"]},
            "data": patch_data,
        }
        try:
            self._core.patch_namespaced_secret(secret_name, resource.namespace, patch)
        except ApiException as exc:
            raise SecretConflict(f"cannot update Secret {secret_name}: HTTP {exc.status} {exc.reason}") from None
        return "updated"


class KubeStatusWriter:
    def __init__(self, api: ApiClient) -> None:
        self._custom = CustomObjectsApi(api)

    async def patch_status(self, resource: Resource, fields: dict[str, Any]) -> None:
        await asyncio.to_thread(
            self._custom.patch_namespaced_custom_object_status,
            GROUP, VERSION, resource.namespace, PLURAL, resource.name, {"status": fields},
        )
