"""Which way in to PingOne a resource uses, and whether it may.

Without `spec.connectionRef` a resource uses the operator's own configuration (the default
connection). With it, the named cluster-scoped PingOneConnection must allow the resource's
namespace and environment, or the resource fails closed. Each connection has its own client: its
own token cache and its own rate-limit pacing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubernetes.client import ApiClient, CoreV1Api
from kubernetes.client.exceptions import ApiException

from .config import PingOneSettings, Secret
from .models import PingOneApplicationSpec, PingOneConnectionSpec
from .pingone.client import Observer, PingOneClient
from .pingone.errors import PingOneError
from .reconcile import CredentialStore, Failure, Reconciler, StatusWriter, classify


class ConnectionRefused(Exception):
    """The resource may not use the connection it names (or it is unusable)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _refused(reason: str, message: str) -> ConnectionRefused:
    # Retried slowly: an admin may fix the connection or its allow-lists at any time.
    return ConnectionRefused(Failure(reason, message, retry=True, delay=120))


@dataclass(frozen=True)
class ConnectionContext:
    """What a connection decision needs to know about the cluster."""

    read_secret: Callable[[str], dict[str, str] | None]  # name in the operator's namespace -> data
    namespace_labels: Callable[[str], dict[str, str]]


def allowed_namespace(spec: PingOneConnectionSpec, namespace: str, labels: dict[str, str]) -> bool:
    if spec.allowedNamespaces and namespace in spec.allowedNamespaces:
        return True
    selector = spec.namespaceSelector
    if selector is not None and selector.matchLabels is not None:
        return all(labels.get(k) == v for k, v in selector.matchLabels.items())
    return False


def pingone_settings(spec: PingOneConnectionSpec, credentials: dict[str, str]) -> PingOneSettings:
    ref = spec.credentialsSecret
    return PingOneSettings(
        api_url=(spec.apiUrl or f"https://api.pingone.{spec.region}/v1").rstrip("/"),
        auth_url=(spec.authUrl or f"https://auth.pingone.{spec.region}").rstrip("/"),
        environment_id=spec.environmentId,
        client_id=credentials[ref.clientIdKey],
        client_secret=Secret(credentials[ref.clientSecretKey]),
        token_auth_method=spec.tokenAuthMethod,
        requests_per_second=spec.requestsPerSecond,
    )


class Connections:
    """Hands each resource the Reconciler bound to its connection."""

    def __init__(
        self,
        default: Reconciler,
        credentials: CredentialStore,
        status_writer: StatusWriter,
        context: ConnectionContext,
        observer: Observer | None = None,
    ) -> None:
        self.default = default
        self._credentials = credentials
        self._status_writer = status_writer
        self._context = context
        self._observer = observer
        self._cache: dict[str, tuple[str, Reconciler]] = {}  # connection name -> (fingerprint, reconciler)

    async def reconciler_for(
        self, namespace: str, spec: PingOneApplicationSpec, connection: dict[str, Any] | None
    ) -> Reconciler:
        if spec.connectionRef is None:
            return self.default
        name = spec.connectionRef.name
        if connection is None:
            raise _refused("ConnectionNotFound", f"PingOneConnection {name!r} does not exist")
        conn = PingOneConnectionSpec.model_validate(connection)
        labels = await asyncio.to_thread(self._context.namespace_labels, namespace)
        if not allowed_namespace(conn, namespace, labels):
            raise _refused("ConnectionDenied", f"PingOneConnection {name!r} does not allow namespace {namespace!r}")
        environment = spec.environmentId or conn.environmentId
        if environment not in conn.environments():
            raise _refused(
                "ConnectionDenied", f"PingOneConnection {name!r} does not allow environment {environment}"
            )
        return await self._reconciler(name, conn)

    async def verify(self, name: str, connection: dict[str, Any]) -> Failure | None:
        """Sign in with the connection's credentials; the failure if that does not work."""
        try:
            reconciler = await self._reconciler(name, PingOneConnectionSpec.model_validate(connection))
            await reconciler.pingone.tokens.token()
        except ConnectionRefused as refused:
            return refused.failure
        except PingOneError as exc:
            return classify(exc)
        return None

    async def _reconciler(self, name: str, conn: PingOneConnectionSpec) -> Reconciler:
        data = await asyncio.to_thread(self._context.read_secret, conn.credentialsSecret.name)
        ref = conn.credentialsSecret
        if not data or ref.clientIdKey not in data or ref.clientSecretKey not in data:
            raise _refused(
                "ConnectionInvalid",
                f"PingOneConnection {name!r}: Secret {ref.name!r} with keys {ref.clientIdKey!r} and "
                f"{ref.clientSecretKey!r} not found in the operator's namespace",
            )
        # A new client when the connection or its credentials change; otherwise keep its token.
        material = json.dumps([conn.model_dump(mode="json"), data[ref.clientIdKey], data[ref.clientSecretKey]])
        fingerprint = hashlib.sha256(material.encode()).hexdigest()
        cached = self._cache.get(name)
        if cached and cached[0] == fingerprint:
            return cached[1]
        settings = pingone_settings(conn, data)
        reconciler = Reconciler(
            PingOneClient.from_settings(settings, observer=self._observer),
            self._credentials,
            self._status_writer,
            default_environment_id=settings.environment_id,
            auth_url=settings.auth_url,
        )
        self._cache[name] = (fingerprint, reconciler)
        if cached:
            await cached[1].pingone.aclose()
        return reconciler

    async def aclose(self) -> None:
        for _, reconciler in self._cache.values():
            await reconciler.pingone.aclose()
        await self.default.pingone.aclose()


def kube_context(api: ApiClient, operator_namespace: str) -> ConnectionContext:
    core = CoreV1Api(api)

    def read_secret(name: str) -> dict[str, str] | None:
        try:
            secret = core.read_namespaced_secret(name, operator_namespace)
        except ApiException as exc:
            if exc.status in (403, 404):
                return None
            raise
        return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}

    def namespace_labels(name: str) -> dict[str, str]:
        try:
            return core.read_namespace(name).metadata.labels or {}
        except ApiException:
            return {}

    return ConnectionContext(read_secret=read_secret, namespace_labels=namespace_labels)
