"""Builds the operator from its configuration: PingOne clients, Kubernetes stores, reconcilers,
connections, and the Service the controller calls. No kopf here."""

from __future__ import annotations

from . import metrics
from .config import OperatorSettings, PingOneSettings
from .connections import Connections
from .kube.client import Transport
from .kube.connections import KubeConnectionReader
from .kube.secrets import KubeSecretStore
from .kube.status import KubeStatusWriter
from .pingone.client import PingOneClient
from .plan import access
from .reconciler import Reconciler
from .service import Service


def build(pingone: PingOneSettings, settings: OperatorSettings, kube: Transport) -> Service:
    """`kube` carries the Kubernetes calls (the controller's: kopf's authenticated session)."""
    observer = metrics.PrometheusObserver()
    secrets, status = KubeSecretStore(kube), KubeStatusWriter(kube)

    def make_reconciler(connection: PingOneSettings) -> Reconciler:
        return Reconciler(
            PingOneClient.from_settings(connection, observer=observer), secrets, status,
            default_environment_id=connection.environment_id, auth_url=connection.auth_url,
            worker_id=connection.client_id,
        )

    policy = access.default_policy(
        pingone.environment_id,
        namespaces=settings.default_allowed_namespaces,
        environments=settings.default_allowed_environments,
        adoption_namespaces=settings.adoption_allowed_namespaces,
        adoptable_ids=settings.adoption_allowed_application_ids,
        roles=settings.default_allowed_roles,
    )
    connections = Connections(make_reconciler(pingone), policy, KubeConnectionReader(kube, settings.operator_namespace),
                              make_reconciler, require_connection_ref=settings.require_connection_ref)
    return Service(connections, settings, status)
