"""Calls to the Kubernetes API by path, with plain JSON bodies, through the transport the controller
hands in: kopf's own authenticated session (controller/kube_session.py), on the event loop."""

from __future__ import annotations

import http
from collections.abc import Awaitable
from typing import Any, Protocol
from urllib.parse import quote

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"


class KubeApiError(Exception):
    """A non-2xx answer: its status and the status's reason phrase, never the body (it may echo
    what was sent)."""

    def __init__(self, status: int) -> None:
        self.status = status
        try:
            self.reason = http.HTTPStatus(status).phrase
        except ValueError:
            self.reason = "Unknown"
        super().__init__(f"HTTP {status} {self.reason}")


class Transport(Protocol):
    def __call__(self, method: str, resource_path: str, body: dict[str, Any] | None = None,
                 content_type: str = JSON) -> Awaitable[dict[str, Any]]:
        """One call: the answer's JSON; KubeApiError for a non-2xx status, KubernetesUnavailable
        if the API server cannot be reached."""


def path(template: str, **params: str) -> str:
    """An API path with its parameters quoted: '/api/v1/namespaces/{namespace}' and namespace='x'."""
    return template.format(**{k: quote(v, safe="") for k, v in params.items()})
