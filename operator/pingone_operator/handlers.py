"""kopf handlers: translate kopf's arguments into a reconcile call and its Outcome back.

Thin on purpose: decisions live in reconcile.py, I/O in pingone/ and kube.py. Handlers return
None (a return value would land in status), write status only when a value changes, and post an
Event for every outcome worth telling.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import logging
import os
import random
import time
from typing import Any

import kopf
from pydantic import ValidationError

from . import GROUP, PLURAL, VERSION, access, metrics
from .config import load_operator_settings, load_pingone_settings
from .connections import ConnectionRefused, Connections, kube_context
from .kube import KubeSecretStore, KubeStatusWriter, api_client
from .models import ManagementPolicy, PingOneApplicationSpec
from .pingone.client import PingOneClient
from .pingone.pacing import current_tenant
from .reconcile import Failure, Outcome, Reconciler, Resource, status_changes
from .conditions import set_condition
from .rotation import parse_time

log = logging.getLogger("pingone_operator")
RESOURCE = (GROUP, VERSION, PLURAL)
PREFIX = GROUP
# Not under the `pingone-operator.dev/` prefix: kopf ignores its own prefix's annotations.
RESYNC_ANNOTATION = f"ops.{GROUP}/resync"


def _lock(memo: kopf.Memo) -> asyncio.Lock:
    """One sync at a time per object: timers run beside change handlers in kopf."""
    if "lock" not in memo:
        memo.lock = asyncio.Lock()
    return memo.lock


def backoff(retry: int) -> float:
    """Exponential with jitter, so an outage does not make every object retry in step."""
    return min(600.0, 5.0 * 2 ** min(retry, 8)) * random.uniform(0.5, 1.0)


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    pingone_settings = load_pingone_settings()
    operator_settings = load_operator_settings()
    settings.persistence.finalizer = f"{PREFIX}/finalizer"
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=PREFIX, v1=False)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=PREFIX, key="last-handled-configuration", v1=False
    )
    settings.posting.reporting_component = "pingone-operator"
    settings.posting.reporting_instance = os.environ.get("POD_NAME", "local")
    settings.networking.connect_timeout = 10
    settings.networking.request_timeout = 60
    settings.watching.connect_timeout = 10
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.execution.default_backoff = 30
    memo.drift_interval = operator_settings.drift_interval_seconds
    memo.secret_check_interval = operator_settings.secret_check_interval_seconds
    memo.delete_give_up = operator_settings.delete_give_up_seconds
    memo.resync_min_interval = operator_settings.resync_min_interval_seconds
    observer = metrics.PrometheusObserver()
    api = api_client()
    secrets, status_writer = KubeSecretStore(api), KubeStatusWriter(api)
    default = Reconciler(
        PingOneClient.from_settings(pingone_settings, observer=observer),
        secrets,
        status_writer,
        default_environment_id=pingone_settings.environment_id,
        auth_url=pingone_settings.auth_url,
        worker_id=pingone_settings.client_id,
    )
    policy = access.default_policy(
        pingone_settings.environment_id,
        namespaces=operator_settings.default_allowed_namespaces,
        environments=operator_settings.default_allowed_environments,
        adoption_namespaces=operator_settings.adoption_allowed_namespaces,
        adoptable_ids=operator_settings.adoption_allowed_application_ids,
    )
    context = kube_context(api, operator_settings.operator_namespace)
    memo.connections = Connections(default, policy, secrets, status_writer, context, observer,
                                   require_connection_ref=operator_settings.require_connection_ref)
    log.info(
        "configured: PingOne API %s, environment %s, auth method %s, drift interval %ss",
        pingone_settings.api_url, pingone_settings.environment_id, pingone_settings.token_auth_method,
        operator_settings.drift_interval_seconds,
    )


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    if "connections" in memo:
        await memo.connections.aclose()


@kopf.index(GROUP, VERSION, "pingoneconnections", id="connection_specs")
def connection_specs(name: str, spec: kopf.Spec, **_: Any) -> dict[str, dict[str, Any]]:
    """PingOneConnections by name, so a sync needs no API call to find its connection."""
    return {name: dict(spec)}


async def _reconciler(memo: kopf.Memo, resource: Resource, connection_specs: kopf.Index) -> Reconciler:
    """The reconciler of the resource's connection; raises ConnectionRefused."""
    ref = resource.spec.connectionRef
    found = next(iter(connection_specs.get(ref.name, [])), None) if ref else None
    return await memo.connections.reconciler_for(resource, found)


@kopf.index(*RESOURCE, id="claims")
def claims(body: kopf.Body, namespace: str, name: str, uid: str, **_: Any) -> dict[str, tuple[str, str, bool]] | None:
    """Which resource manages (or wants to adopt) which PingOne application."""
    managed = (body.get("status") or {}).get("applicationId")
    app_id = managed or (body.get("spec") or {}).get("adoptApplicationId")
    return {app_id: (f"{namespace}/{name}", uid, bool(managed))} if app_id else None


def _resource(body: kopf.Body, spec: PingOneApplicationSpec) -> Resource:
    meta = body["metadata"]
    return Resource(
        namespace=meta["namespace"],
        name=meta["name"],
        uid=meta["uid"],
        generation=meta.get("generation", 0),
        spec=spec,
        status=dict(body.get("status") or {}),
    )


def _parse_spec(body: kopf.Body) -> PingOneApplicationSpec:
    try:
        return PingOneApplicationSpec.model_validate(dict(body.get("spec") or {}))
    except ValidationError as exc:
        # Only reachable when the CRD's schema is older than the operator; say which fields.
        fields = ", ".join(".".join(str(p) for p in e["loc"]) + f": {e['msg']}" for e in exc.errors())
        raise kopf.PermanentError(f"invalid spec: {fields}") from None


def _record_metrics(trigger: str, outcome: Outcome, resource: Resource) -> None:
    metrics.RECONCILES.labels(trigger, outcome.failure.reason if outcome.failure else "ok").inc()
    ready = next((c for c in outcome.status.get("conditions") or [] if c["type"] == "Ready"), None)
    if ready:
        metrics.READY.labels(resource.namespace, resource.name).set(1 if ready["status"] == "True" else 0)
    for event in outcome.events:
        if event.reason == "DriftCorrected":
            metrics.DRIFT_CORRECTIONS.inc()
        elif event.reason == "DriftDetected":
            metrics.DRIFT_DETECTED.inc()
    rotation = outcome.status.get("secretRotation") or {}
    for gauge, key in ((metrics.SECRET_ROTATED, "lastRotatedAt"), (metrics.PREVIOUS_SECRET_EXPIRY, "previousExpiresAt")):
        moment = parse_time(rotation.get(key))
        if moment:
            gauge.labels(resource.namespace, resource.name).set(moment.timestamp())


def _deliver(outcome: Outcome, resource: Resource, body: kopf.Body, patch: kopf.Patch, retry: int) -> None:
    for field, value in status_changes(resource.status, outcome.status).items():
        patch.status[field] = value
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    failure = outcome.failure
    if failure is None:
        return
    if not failure.retry:
        raise kopf.PermanentError(f"{failure.reason}: {failure.message}")
    delay = failure.delay if failure.delay is not None else backoff(retry)
    raise kopf.TemporaryError(f"{failure.reason}: {failure.message}", delay=delay)


def _claimed_by_another(resource: Resource, claims: kopf.Index) -> str | None:
    """Adoption never takes over an application another resource manages. The manager keeps it;
    between two resources adopting the same one at once, the lower uid wins (both agree on it)."""
    if resource.status.get("applicationId") or not resource.spec.adoptApplicationId:
        return None
    for owner, uid, managed in claims.get(resource.spec.adoptApplicationId, []):
        if uid != resource.uid and (managed or uid < resource.uid):
            return owner
    return None


async def _sync(trigger: str, body: kopf.Body, memo: kopf.Memo, indexes: dict[str, kopf.Index], *,
                read_secret: bool = True) -> tuple[Resource, Outcome]:
    resource = _resource(body, _parse_spec(body))
    current_tenant.set(resource.namespace)  # PingOne calls are shared fairly between namespaces
    default = memo.connections.default
    if resource.spec.managementPolicy == ManagementPolicy.PAUSED:
        return resource, default.paused(resource)
    try:  # first: may this namespace use the connection for what it asks (adoption included)?
        reconciler = await _reconciler(memo, resource, indexes["connection_specs"])
    except ConnectionRefused as refused:
        return resource, default.refuse(resource, refused.failure)
    other = _claimed_by_another(resource, indexes["claims"])
    if other:
        failure = Failure("AdoptionConflict", f"the application is already managed by {other}", retry=False)
        return resource, default.refuse(resource, failure)
    async with _lock(memo):
        outcome = await reconciler.sync(resource, drift_check=trigger != "change", read_secret=read_secret)
    if read_secret and outcome.failure is None:
        memo.secret_checked = time.monotonic()
    _record_metrics(trigger, outcome, resource)
    return resource, outcome


@kopf.on.create(*RESOURCE, id="sync")
@kopf.on.update(*RESOURCE, id="sync", field="spec")
async def sync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, retry: int, claims: kopf.Index,
               connection_specs: kopf.Index, **_: Any) -> None:
    indexes = {"claims": claims, "connection_specs": connection_specs}
    resource, outcome = await _sync("change", body, memo, indexes)
    _deliver(outcome, resource, body, patch, retry)


def _status_is_current(body: kopf.Body) -> bool:
    """The last sync's outcome reached status (a Ready condition about this generation)."""
    generation = body["metadata"].get("generation")
    ready = next((c for c in (body.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)
    return ready is not None and ready.get("observedGeneration") == generation


@kopf.on.resume(*RESOURCE, id="resume")
async def resume(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, retry: int, claims: kopf.Index,
                 connection_specs: kopf.Index, reason: kopf.Reason, **_: Any) -> None:
    """After a restart, finish a sync whose status never landed; otherwise cost nothing.

    kopf writes a handler's outcome in two patches (metadata, then status): a crash between them
    leaves the change marked handled but without its status, and kopf would not run it again.
    """
    if reason != kopf.Reason.RESUME:
        return  # kopf mixes resume handlers into a change seen at start-up: `sync` handles that
    if _status_is_current(body) or body["metadata"].get("deletionTimestamp"):
        return
    indexes = {"claims": claims, "connection_specs": connection_specs}
    resource, outcome = await _sync("change", body, memo, indexes)
    _deliver(outcome, resource, body, patch, retry)


@kopf.on.field(*RESOURCE, id="resync", field=("metadata", "annotations", RESYNC_ANNOTATION))
async def resync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, claims: kopf.Index,
                 connection_specs: kopf.Index, new: Any, **_: Any) -> None:
    """On-demand drift check: any change of the resync annotation runs one at once."""
    if new is None or not (body.get("status") or {}).get("applicationId"):
        return
    now = time.monotonic()
    if now - memo.get("last_resync", float("-inf")) < memo.resync_min_interval:
        # Any editor can change the annotation; PingOne's rate budget is everyone's.
        log.info("resync of %s/%s skipped: the last one was under %ss ago", body["metadata"]["namespace"],
                 body["metadata"]["name"], memo.resync_min_interval)
        return
    memo.last_resync = now
    indexes = {"claims": claims, "connection_specs": connection_specs}
    resource, outcome = await _sync("resync", body, memo, indexes)
    kopf.info(body, reason="Resynced", message="drift check requested by annotation")
    try:
        _deliver(outcome, resource, body, patch, retry=0)
    except (kopf.TemporaryError, kopf.PermanentError):
        pass  # the status and Event tell it; the drift timer tries again


def _drift_delay(memo: kopf.Memo, **_: Any) -> float:
    # Spread the first checks over a whole interval, so a restart is not a burst of GETs.
    return random.uniform(0, memo.drift_interval) if "drift_interval" in memo else 60.0


def _drift_interval() -> float:
    return load_operator_settings().drift_interval_seconds


@kopf.timer(*RESOURCE, id="drift", interval=_drift_interval(), initial_delay=_drift_delay, idle=5)
async def drift(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, retry: int, claims: kopf.Index,
                connection_specs: kopf.Index, **_: Any) -> None:
    if not (body.get("status") or {}).get("applicationId"):
        return  # not created yet, or a failed create: the change handler owns that
    # The client secret is re-read from PingOne less often than the application (one GET a tick).
    read_secret = time.monotonic() - memo.get("secret_checked", float("-inf")) >= memo.secret_check_interval
    indexes = {"claims": claims, "connection_specs": connection_specs}
    resource, outcome = await _sync("drift", body, memo, indexes, read_secret=read_secret)
    try:
        # A TemporaryError makes kopf run this timer again after its delay, not a whole interval later.
        _deliver(outcome, resource, body, patch, retry)
    except kopf.PermanentError:
        pass  # the status and Event tell it; the next tick looks again


@kopf.on.delete(*RESOURCE, id="cleanup")
async def cleanup(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, retry: int, runtime: datetime.timedelta,
                  connection_specs: kopf.Index, **_: Any) -> None:
    try:
        resource = _resource(body, _parse_spec(body))
    except kopf.PermanentError:
        kopf.warn(body, reason="Orphaned", message="spec unreadable; PingOne application left in place")
        return
    current_tenant.set(resource.namespace)
    outcome = await _delete(memo, resource, connection_specs)
    if outcome.failure:
        left = memo.delete_give_up - runtime.total_seconds()
        if left <= 0:
            _abandon(body, resource, outcome, runtime)
        else:  # the next try no later than the give-up time
            delay = outcome.failure.delay if outcome.failure.delay is not None else backoff(retry)
            outcome.failure = dataclasses.replace(outcome.failure, delay=min(delay, max(left, 1.0)))
    if outcome.failure is None:
        metrics.forget(resource.namespace, resource.name)
    _deliver(outcome, resource, body, patch, retry)


async def _delete(memo: kopf.Memo, resource: Resource, connection_specs: kopf.Index) -> Outcome:
    """Orphan, Paused and nothing-to-delete need no connection: decided before looking for one."""
    default = memo.connections.default
    outcome = default.deletion_without_pingone(resource)
    if outcome is not None:
        return outcome
    try:
        reconciler = await _reconciler(memo, resource, connection_specs)
    except ConnectionRefused as refused:
        return default.refuse(resource, refused.failure)
    async with _lock(memo):
        return await reconciler.delete(resource)


def _abandon(body: kopf.Body, resource: Resource, outcome: Outcome, runtime: datetime.timedelta) -> None:
    """A dead PingOne (or connection) must not pin a resource in Terminating forever."""
    message = (f"gave up deleting the PingOne application after {runtime.total_seconds():.0f} s: "
               f"{outcome.failure.message}; it is left in PingOne")
    kopf.warn(body, reason="DeleteAbandoned", message=message)
    log.warning("deletion of %s/%s abandoned: %s", resource.namespace, resource.name, message)
    metrics.DELETIONS_ABANDONED.inc()
    outcome.failure = None


@kopf.on.create(GROUP, VERSION, "pingoneconnections", id="verify")
@kopf.on.update(GROUP, VERSION, "pingoneconnections", id="verify", field="spec")
async def verify_connection(name: str, spec: kopf.Spec, status: kopf.Status, meta: kopf.Meta, patch: kopf.Patch,
                            memo: kopf.Memo, **_: Any) -> None:
    """Ready=True once the connection's credentials sign in to PingOne."""
    failure = await memo.connections.verify(name, dict(spec))
    generation = meta.get("generation")
    if failure is None:
        conditions = set_condition(status.get("conditions"), "Ready", True, "SignedIn",
                                   "the credentials sign in to PingOne", generation)
    else:
        conditions = set_condition(status.get("conditions"), "Ready", False, failure.reason, failure.message,
                                   generation)
    if conditions != status.get("conditions"):
        patch.status["conditions"] = conditions
    if failure is not None:
        raise kopf.TemporaryError(f"{failure.reason}: {failure.message}", delay=failure.delay or 120)
