"""What connections read from the cluster: their credentials Secret (in the operator's
namespace only) and the labels of a namespace."""

from __future__ import annotations

from ..ports import KubernetesUnavailable
from .client import KubeApiError, Transport, path
from .secrets import SECRET, decode_secret_data

NAMESPACE = "/api/v1/namespaces/{namespace}"


class KubeConnectionReader:
    def __init__(self, request: Transport, operator_namespace: str) -> None:
        self._request = request
        self._namespace = operator_namespace

    async def credentials(self, secret_name: str) -> dict[str, str] | None:
        try:
            secret = await self._request("GET", path(SECRET, namespace=self._namespace, name=secret_name))
        except KubeApiError as exc:
            if exc.status in (403, 404):
                return None
            raise KubernetesUnavailable(f"cannot read Secret {secret_name}: {exc}") from None
        return decode_secret_data(secret.get("data"))

    async def namespace_labels(self, namespace: str) -> dict[str, str]:
        try:
            namespace_object = await self._request("GET", path(NAMESPACE, namespace=namespace))
        except KubeApiError:
            return {}
        return namespace_object.get("metadata", {}).get("labels") or {}
