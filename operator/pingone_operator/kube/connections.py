"""What connections read from the cluster: their credentials Secret (in the operator's
namespace only) and the labels of a namespace."""

from __future__ import annotations

from kubernetes.client import ApiClient, CoreV1Api
from kubernetes.client.exceptions import ApiException

from .client import off_loop
from .secrets import decode_secret_data


class KubeConnectionReader:
    def __init__(self, api: ApiClient, operator_namespace: str) -> None:
        self._core = CoreV1Api(api)
        self._namespace = operator_namespace

    async def credentials(self, secret_name: str) -> dict[str, str] | None:
        return await off_loop(self._credentials, secret_name)

    async def namespace_labels(self, namespace: str) -> dict[str, str]:
        return await off_loop(self._labels, namespace)

    def _credentials(self, secret_name: str) -> dict[str, str] | None:
        try:
            secret = self._core.read_namespaced_secret(secret_name, self._namespace)
        except ApiException as exc:
            if exc.status in (403, 404):
                return None
            raise
        return decode_secret_data(secret.data)

    def _labels(self, namespace: str) -> dict[str, str]:
        try:
            return self._core.read_namespace(namespace).metadata.labels or {}
        except ApiException:
            return {}
