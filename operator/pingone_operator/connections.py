"""Which way in to PingOne a resource uses, and whether it may.

Without `spec.connectionRef` a resource uses the operator's own configuration (the default
connection), scoped by the operator's settings like any PingOneConnection; with it, the named
cluster-scoped PingOneConnection. plan/access.py decides, the same way for PingOneApplications and
PingOneResources; this module fetches what the decision needs (through the ConnectionReader port)
and hands back the reconciler of the resource's kind bound to the connection. Each connection has
its own client: its own token cache and rate-limit pacing.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

from .api import PingOneConnectionSpec
from .config import PingOneSettings, Secret
from .plan import access
from .plan.failures import EXPECTED, classify
from .plan.identity import environment_of, managed_id
from .plan.kinds import APPLICATION
from .plan.outcome import Failure, Resource
from .ports import ConnectionReader, NotText
from .reconciler import Reconciler
from .resource_reconciler import ResourceReconciler

ReconcilerFactory = Callable[[PingOneSettings], Reconciler]

# Every sync needs its connection's credentials: read from the Secret each time, a burst of 10,000
# read the same Secret 10,000 times (a Kubernetes GET each), and each drift check twice. A read is
# reused this long, by all syncs at once; a rotated or deleted Secret takes effect within it.
CREDENTIALS_REUSE_SECONDS = 5.0


@dataclass
class _CredentialsRead:
    """A Secret's last read, and the lock that lets one sync read it while the others wait."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    at: float | None = None
    data: dict[str, str] | None = None


class ConnectionRefused(Exception):
    """The resource may not use the connection it names (or it is unusable)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _refused(reason: str, message: str) -> ConnectionRefused:
    # Retried slowly: an admin may fix the connection or its allow-lists at any time.
    return ConnectionRefused(Failure(reason, message, retry=True, delay=120))


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

    def __init__(self, default: Reconciler, default_policy: access.AccessPolicy, reader: ConnectionReader,
                 make_reconciler: ReconcilerFactory, *, require_connection_ref: bool = False) -> None:
        self.default = default
        self._default_policy = default_policy
        self._require_ref = require_connection_ref
        self._reader = reader
        self._make_reconciler = make_reconciler
        self._cache: dict[str, tuple[str, Reconciler]] = {}  # connection name -> (fingerprint, reconciler)
        self._credentials: dict[str, _CredentialsRead] = collections.defaultdict(_CredentialsRead)  # by Secret name

    async def reconciler_for(self, resource: Resource, connection: dict[str, Any] | None
                             ) -> tuple[Reconciler | ResourceReconciler, access.AccessPolicy]:
        """The reconciler of the resource's kind and connection, and what the connection allows,
        if the resource may use it for what it asks.

        The checks come before the connection's credentials are read, and before any PingOne call.
        """
        ref = resource.spec.connectionRef
        if ref is None:
            if self._require_ref:
                raise _refused("ConnectionRequired", "this operator has no default connection: "
                               "set spec.connectionRef to a PingOneConnection that allows this namespace")
            policy, home = self._default_policy, self.default.default_environment_id
        elif connection is None:
            raise _refused("ConnectionNotFound", f"PingOneConnection {ref.name!r} does not exist")
        else:
            conn = PingOneConnectionSpec.model_validate(connection)
            policy, home = access.connection_policy(ref.name, conn), conn.environmentId
        labels = await self._reader.namespace_labels(resource.namespace) if policy.needs_labels else {}
        # The environment checked is the one the sync will use.
        failure = access.check(policy, resource.namespace, labels, environment_of(resource, home), resource.spec,
                               resource.kind)
        if failure is None:
            reconciler = self.default if ref is None else await self._reconciler(ref.name, conn)
            if resource.kind is APPLICATION:  # the worker is an application
                failure = access.protect_worker(reconciler.worker_id, resource.spec, managed_id(resource))
        if failure is not None:
            raise ConnectionRefused(failure)
        return (reconciler if resource.kind is APPLICATION else reconciler.resources), policy

    async def verify(self, name: str, connection: dict[str, Any]) -> Failure | None:
        """Sign in with the connection's credentials; the failure if that does not work."""
        try:
            reconciler = await self._reconciler(name, PingOneConnectionSpec.model_validate(connection))
            await reconciler.pingone.sign_in()
        except ConnectionRefused as refused:
            return refused.failure
        except EXPECTED as exc:
            return classify(exc)
        return None

    async def _reconciler(self, name: str, conn: PingOneConnectionSpec) -> Reconciler:
        ref = conn.credentialsSecret
        try:
            data = await self._recent_credentials(ref.name)
        except NotText as exc:
            raise _refused("ConnectionInvalid", f"PingOneConnection {name!r}: Secret {ref.name!r}: {exc}") from None
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
        reconciler = self._make_reconciler(pingone_settings(conn, data))
        self._cache[name] = (fingerprint, reconciler)
        if cached:
            await cached[1].pingone.aclose()
        return reconciler

    async def _recent_credentials(self, secret_name: str) -> dict[str, str] | None:
        """The Secret's data as read within CREDENTIALS_REUSE_SECONDS; one read at a time per Secret,
        so that the syncs of a burst wait for one read instead of each making its own."""
        read = self._credentials[secret_name]
        async with read.lock:
            if read.at is None or monotonic() - read.at >= CREDENTIALS_REUSE_SECONDS:
                read.data = await self._reader.credentials(secret_name)
                read.at = monotonic()
            return read.data

    async def aclose(self) -> None:
        for _, reconciler in self._cache.values():
            await reconciler.pingone.aclose()
        await self.default.pingone.aclose()
