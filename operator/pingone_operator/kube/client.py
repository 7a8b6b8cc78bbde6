"""The Kubernetes API client, and running its blocking calls off the event loop."""

from __future__ import annotations

import asyncio
from typing import Any

import kubernetes
import urllib3
from kubernetes.client import ApiClient

from ..ports import KubernetesUnavailable


def api_client() -> ApiClient:
    """In-cluster credentials when running in a pod, else KUBECONFIG (the same choice kopf makes)."""
    configuration = kubernetes.client.Configuration()
    try:
        kubernetes.config.load_incluster_config(client_configuration=configuration)
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config(client_configuration=configuration)
    return ApiClient(configuration)


async def off_loop(func: Any, *args: Any) -> Any:
    """Run a blocking client call in a thread; a connection failure becomes KubernetesUnavailable."""
    try:
        return await asyncio.to_thread(func, *args)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise KubernetesUnavailable(f"Kubernetes API unreachable: {type(exc).__name__}") from None
