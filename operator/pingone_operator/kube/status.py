"""The status write that cannot wait for the handler's end: identity and intents."""

from __future__ import annotations

from typing import Any

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from .. import GROUP, VERSION
from ..plan.outcome import Resource
from ..ports import KubernetesUnavailable
from .client import MERGE_PATCH, off_loop, path, request

STATUS = "/apis/{group}/{version}/namespaces/{namespace}/{plural}/{name}/status"


class KubeStatusWriter:
    def __init__(self, api: ApiClient) -> None:
        self._api = api

    async def patch_status(self, resource: Resource, fields: dict[str, Any]) -> None:
        url = path(STATUS, group=GROUP, version=VERSION, namespace=resource.namespace, plural=resource.kind.plural,
                   name=resource.name)
        try:
            await off_loop(request, self._api, "PATCH", url, {"status": fields}, MERGE_PATCH)
        except ApiException as exc:
            raise KubernetesUnavailable(f"cannot write status: HTTP {exc.status} {exc.reason}") from None
