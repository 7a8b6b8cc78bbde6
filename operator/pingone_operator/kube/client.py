"""The Kubernetes API client, and running its blocking calls off the event loop.

Requests go by path through the client's `ApiClient` (its configuration, authentication and
connection pool), not through its generated API classes: `CoreV1Api` alone imports ~250 models and
~63,000 lines of methods, ~20 MB of the process for the five calls made here. Bodies are plain JSON.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import kubernetes
import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from ..ports import KubernetesUnavailable

MERGE_PATCH = "application/merge-patch+json"


def api_client() -> ApiClient:
    """In-cluster credentials when running in a pod, else KUBECONFIG (the same choice kopf makes)."""
    configuration = kubernetes.client.Configuration()
    try:
        kubernetes.config.load_incluster_config(client_configuration=configuration)
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config(client_configuration=configuration)
    return ApiClient(configuration)


def path(template: str, **params: str) -> str:
    """An API path with its parameters quoted: '/api/v1/namespaces/{namespace}' and namespace='x'."""
    return template.format(**{k: quote(v, safe="") for k, v in params.items()})


def request(api: ApiClient, method: str, resource_path: str, body: dict[str, Any] | None = None,
            content_type: str = "application/json") -> dict[str, Any]:
    """One blocking call; the answer's JSON, or ApiException for a non-2xx status (as the generated
    classes raise it)."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = content_type
    serialized = api.param_serialize(method=method, resource_path=resource_path, header_params=headers,
                                     body=body, auth_settings=["BearerToken"])
    response = api.call_api(*serialized)
    response.read()
    if not 200 <= response.status <= 299:
        raise ApiException.from_response(http_resp=response, body=None, data=None)
    return json.loads(response.data) if response.data else {}


async def off_loop(func: Any, *args: Any) -> Any:
    """Run a blocking client call in a thread; a connection failure becomes KubernetesUnavailable."""
    try:
        return await asyncio.to_thread(func, *args)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise KubernetesUnavailable(f"Kubernetes API unreachable: {type(exc).__name__}") from None
