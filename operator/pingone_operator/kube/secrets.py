"""The credentials Secret: read one by name (no list/watch on Secrets), write it only when its
content or ownership changes, never overwrite a Secret that another owner holds. Secret values
never reach a log line or an exception message.
"""

from __future__ import annotations

import base64
from typing import Any

from .. import GROUP, KIND, VERSION
from ..plan.outcome import Resource
from ..ports import NotText, SecretConflict, SecretStoreFailed, StoredSecret
from .client import MERGE_PATCH, KubeApiError, Transport, path

MANAGED_BY = "pingone-operator"
LABEL_APPLICATION = f"{GROUP}/application"
SECRETS = "/api/v1/namespaces/{namespace}/secrets"
SECRET = SECRETS + "/{name}"


def decode_secret_data(data: dict[str, str] | None) -> dict[str, str]:
    """A Secret's base64 values as text; raises NotText naming the key, never the bytes."""
    decoded = {}
    for key, value in (data or {}).items():
        try:
            decoded[key] = base64.b64decode(value).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise NotText(f"the value of key {key!r} is not UTF-8 text") from None
    return decoded


def _owner_reference(resource: Resource) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": KIND,
        "name": resource.name,
        "uid": resource.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _owners(secret: dict[str, Any]) -> list[dict[str, Any]]:
    return secret.get("metadata", {}).get("ownerReferences") or []


def _ours(secret: dict[str, Any], resource: Resource) -> bool:
    """Ours if a PingOneApplication of this name controls it (a re-created resource keeps its Secret)."""
    return any(ref.get("kind") == KIND and str(ref.get("apiVersion", "")).startswith(f"{GROUP}/")
               and ref.get("name") == resource.name and ref.get("controller") for ref in _owners(secret))


class KubeSecretStore:
    def __init__(self, request: Transport) -> None:
        self._request = request

    async def read(self, resource: Resource, secret_name: str) -> StoredSecret | None:
        try:
            current = await self._request("GET", path(SECRET, namespace=resource.namespace, name=secret_name))
        except KubeApiError as exc:
            if exc.status == 404:
                return None
            raise SecretStoreFailed(f"cannot read Secret {secret_name}: {exc}", exc.status) from None
        return _stored(current, resource, secret_name)

    async def write(
        self, resource: Resource, secret_name: str, data: dict[str, str], stored: StoredSecret | None,
        labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
    ) -> str:
        """Create, update or keep the Secret. `stored` None means "not read": created if absent, and
        if it exists after all, read (ownership checked) and updated."""
        # Labels are our own (never copied from the resource: Argo CD label tracking would then
        # claim the Secret and prune it) plus the template's, which cannot replace ours.
        labels = {**(labels or {}), **_labels(resource)}
        annotations = annotations or {}
        if stored is not None and stored.data == data and stored.up_to_date_metadata \
                and _contains(stored.labels, labels) and _contains(stored.annotations, annotations):
            return "unchanged"
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        metadata: dict[str, Any] = {"labels": labels, "ownerReferences": [_owner_reference(resource)]}
        if annotations:
            metadata["annotations"] = annotations
        try:
            if stored is None:
                body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "data": encoded,
                        "metadata": {"name": secret_name, "namespace": resource.namespace, **metadata}}
                try:
                    await self._request("POST", path(SECRETS, namespace=resource.namespace), body)
                    return "created"
                except KubeApiError as exc:
                    # It exists (written unread, see write()): a stranger's raises SecretConflict in
                    # read; ours is brought up to date. Anything else, or gone again, is a failure.
                    stored = await self.read(resource, secret_name) if exc.status == 409 else None
                    if stored is None:
                        raise
                    return await self.write(resource, secret_name, data, stored, labels, annotations)
            # A JSON merge patch: `null` removes keys we no longer write (e.g. an expired previous
            # secret), and ownerReferences is replaced whole, so a re-created resource takes over its
            # Secret instead of adding a second controller reference (which the API refuses).
            patch_data: dict[str, Any] = {k: None for k in stored.data if k not in encoded}
            patch_data.update(encoded)
            await self._request("PATCH", path(SECRET, namespace=resource.namespace, name=secret_name),
                                {"metadata": metadata, "data": patch_data}, MERGE_PATCH)
            return "updated"
        except KubeApiError as exc:
            raise SecretStoreFailed(f"cannot write Secret {secret_name}: {exc}", exc.status) from None


def _stored(current: dict[str, Any], resource: Resource, secret_name: str) -> StoredSecret:
    """What a write compares with; SecretConflict if another owner holds the Secret."""
    if not _ours(current, resource):
        raise SecretConflict(
            f"Secret {secret_name} exists and is not owned by this PingOneApplication; "
            "delete it or set spec.secretName to another name"
        )
    metadata = current.get("metadata", {})
    same_owner = any(ref.get("uid") == resource.uid for ref in _owners(current))
    labels = metadata.get("labels") or {}
    labels_ok = all(labels.get(k) == v for k, v in _labels(resource).items())
    data = {}
    for key, value in (current.get("data") or {}).items():
        try:
            data.update(decode_secret_data({key: value}))
        except NotText:
            pass  # not what we wrote (someone edited it): it differs, so the next write replaces it
    return StoredSecret(data=data, up_to_date_metadata=same_owner and labels_ok, labels=dict(labels),
                        annotations=dict(metadata.get("annotations") or {}))


def _labels(resource: Resource) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": MANAGED_BY, LABEL_APPLICATION: resource.name}


def _contains(current: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(current.get(k) == v for k, v in wanted.items())
