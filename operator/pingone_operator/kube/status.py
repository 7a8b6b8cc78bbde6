"""The status write that cannot wait for the handler's end: identity and intents."""

from __future__ import annotations

from typing import Any

from kubernetes.client import ApiClient, CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from .. import GROUP, VERSION
from ..plan.outcome import Resource
from ..ports import KubernetesUnavailable
from .client import off_loop


class KubeStatusWriter:
    def __init__(self, api: ApiClient) -> None:
        self._custom = CustomObjectsApi(api)

    async def patch_status(self, resource: Resource, fields: dict[str, Any]) -> None:
        try:
            await off_loop(
                self._custom.patch_namespaced_custom_object_status,
                GROUP, VERSION, resource.namespace, resource.kind.plural, resource.name, {"status": fields},
            )
        except ApiException as exc:
            raise KubernetesUnavailable(f"cannot write status: HTTP {exc.status} {exc.reason}") from None
