"""The status write that cannot wait for the handler's end: identity and intents."""

from __future__ import annotations

from typing import Any

from .. import GROUP, VERSION
from ..plan.outcome import Resource
from ..ports import KubernetesUnavailable
from .client import MERGE_PATCH, KubeApiError, Transport, path

STATUS = "/apis/{group}/{version}/namespaces/{namespace}/{plural}/{name}/status"


class KubeStatusWriter:
    def __init__(self, request: Transport) -> None:
        self._request = request

    async def patch_status(self, resource: Resource, fields: dict[str, Any]) -> None:
        url = path(STATUS, group=GROUP, version=VERSION, namespace=resource.namespace, plural=resource.kind.plural,
                   name=resource.name)
        try:
            await self._request("PATCH", url, {"status": fields}, MERGE_PATCH)
        except KubeApiError as exc:
            raise KubernetesUnavailable(f"cannot write status: {exc}") from None
