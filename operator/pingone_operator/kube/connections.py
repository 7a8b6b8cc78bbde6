"""What connections read from the cluster: their credentials Secret (in the operator's
namespace only) and the labels of a namespace."""

from __future__ import annotations

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from .client import off_loop, path, request
from .secrets import SECRET, decode_secret_data

NAMESPACE = "/api/v1/namespaces/{namespace}"


class KubeConnectionReader:
    def __init__(self, api: ApiClient, operator_namespace: str) -> None:
        self._api = api
        self._namespace = operator_namespace

    async def credentials(self, secret_name: str) -> dict[str, str] | None:
        return await off_loop(self._credentials, secret_name)

    async def namespace_labels(self, namespace: str) -> dict[str, str]:
        return await off_loop(self._labels, namespace)

    def _credentials(self, secret_name: str) -> dict[str, str] | None:
        try:
            secret = request(self._api, "GET", path(SECRET, namespace=self._namespace, name=secret_name))
        except ApiException as exc:
            if exc.status in (403, 404):
                return None
            raise
        return decode_secret_data(secret.get("data"))

    def _labels(self, namespace: str) -> dict[str, str]:
        try:
            return request(self._api, "GET", path(NAMESPACE, namespace=namespace)).get("metadata", {}).get("labels") or {}
        except ApiException:
            return {}
