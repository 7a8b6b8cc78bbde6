"""The reconcilers' two ports: PingOne (applications, resources), and the Kubernetes side (the
credentials Secret, the status). Protocols and the data and errors that cross them; no I/O here.

pingone/ implements the first (PingOneClient), kube/ the second (KubeSecretStore, KubeStatusWriter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .plan.outcome import Resource


class Paced(Protocol):
    def changes_waiting(self) -> bool:
        """Calls that change PingOne queue for its rate budget (drift checks give way meanwhile)."""
        ...


class PingOneApplications(Paced, Protocol):
    """Like crossplane-runtime's ExternalClient: observe, create, update, delete (and the secret)."""

    async def get_application(self, environment_id: str, application_id: str) -> dict[str, Any]: ...

    async def find_application_by_name(self, environment_id: str, name: str) -> dict[str, Any] | None: ...

    async def create_application(self, environment_id: str, body: dict[str, Any]) -> dict[str, Any]: ...

    async def replace_application(self, environment_id: str, application_id: str,
                                  body: dict[str, Any]) -> dict[str, Any]: ...

    async def delete_application(self, environment_id: str, application_id: str) -> bool: ...

    async def get_secret(self, environment_id: str, application_id: str) -> dict[str, Any]: ...

    async def rotate_secret(self, environment_id: str, application_id: str,
                            overlap_seconds: float | None = None) -> tuple[dict[str, Any], datetime | None]: ...

    async def sign_in(self) -> None: ...

    async def aclose(self) -> None: ...


class PingOneResources(Paced, Protocol):
    """A custom resource (an API) and its scopes; `list_resources` also serves applications' grants."""

    async def get_resource(self, environment_id: str, resource_id: str) -> dict[str, Any]: ...

    async def find_resource_by_name(self, environment_id: str, name: str) -> dict[str, Any] | None: ...

    async def create_resource(self, environment_id: str, body: dict[str, Any]) -> dict[str, Any]: ...

    async def replace_resource(self, environment_id: str, resource_id: str,
                               body: dict[str, Any]) -> dict[str, Any]: ...

    async def delete_resource(self, environment_id: str, resource_id: str) -> bool: ...

    async def list_resources(self, environment_id: str) -> list[dict[str, Any]]: ...

    async def list_scopes(self, environment_id: str, resource_id: str) -> list[dict[str, Any]]: ...

    async def create_scope(self, environment_id: str, resource_id: str, body: dict[str, Any]) -> dict[str, Any]: ...

    async def replace_scope(self, environment_id: str, resource_id: str, scope_id: str,
                            body: dict[str, Any]) -> dict[str, Any]: ...

    async def delete_scope(self, environment_id: str, resource_id: str, scope_id: str) -> bool: ...


@dataclass(frozen=True)
class StoredSecret:
    """The credentials Secret as it is in Kubernetes (ours: a foreign one raises SecretConflict)."""

    data: dict[str, str]
    up_to_date_metadata: bool  # owner reference to this very resource, and our labels
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


class CredentialStore(Protocol):
    async def read(self, resource: Resource, secret_name: str) -> StoredSecret | None:
        """The Secret if it exists; raises SecretConflict if someone else owns the name."""

    async def write(
        self, resource: Resource, secret_name: str, data: dict[str, str], stored: StoredSecret | None,
        labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
    ) -> str:
        """Create or update the Secret (with these extra labels and annotations; the store's own
        labels always win); returns "created", "updated" or "unchanged"."""


class StatusWriter(Protocol):
    async def patch_status(self, resource: Resource, fields: dict[str, Any]) -> None: ...


class ConnectionReader(Protocol):
    """What deciding about a PingOneConnection needs from the cluster."""

    async def credentials(self, secret_name: str) -> dict[str, str] | None:
        """The data of a Secret in the operator's namespace; raises NotText for a value that is not text."""

    async def namespace_labels(self, namespace: str) -> dict[str, str]: ...


class NotText(Exception):
    """A Secret value that is not UTF-8 text (its bytes are never echoed)."""


class SecretConflict(Exception):
    """The Secret's name is taken by a Secret this resource does not own."""


class SecretStoreFailed(Exception):
    """Kubernetes refused or failed a read or write of the Secret."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


class KubernetesUnavailable(Exception):
    """The API server could not be reached (or failed) for one of the operator's own writes."""
