"""kopf handlers: each translates kopf's arguments into one Service call and the Outcome back.

Handlers return None (a return value would land in status), write status only when a value
changes, and post an Event for every outcome worth telling. Decisions live in plan/, running rules
in service.py, I/O in pingone/ and kube/.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from typing import Any

import kopf
from pydantic import ValidationError

from .. import GROUP, PLURAL, RESOURCE_PLURAL, VERSION, factory
from ..api import PingOneConnectionStatus
from ..config import load_operator_settings, load_pingone_settings
from ..pingone.pacing import current_tenant
from ..plan.identity import adoption_target, managed_id
from ..plan.kinds import APPLICATION, KINDS, PINGONE_RESOURCE
from ..plan.outcome import Outcome, Resource
from ..plan.sync import status_patch
from ..ports import KubernetesUnavailable
from ..service import Lookup, ObjectState, backoff
from . import kopf_context, kube_session, persistence
from .drift_scheduler import DriftScheduler, Retry

log = logging.getLogger("pingone_operator")
RESOURCE = (GROUP, VERSION, PLURAL)
API_RESOURCES = (GROUP, VERSION, RESOURCE_PLURAL)  # PingOneResources: the same handlers, their own index
CONNECTIONS = (GROUP, VERSION, "pingoneconnections")
PREFIX = GROUP
# Also added at create by the chart's MutatingAdmissionPolicy (templates/finalizer-admission-policy.yaml).
FINALIZER = f"{PREFIX}/finalizer"
# Not under the `pingone-operator.dev/` prefix: kopf ignores its own prefix's annotations.
RESYNC_ANNOTATION = f"ops.{GROUP}/resync"
# The index each kind's drift checks read their objects from, and what of an object they read.
DRIFT_SUBJECTS = {APPLICATION.name: "drift_applications", PINGONE_RESOURCE.name: "drift_resources"}
SUBJECT_METADATA = ("namespace", "name", "uid", "generation", "deletionTimestamp")


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **indexes: Any) -> None:
    pingone, operator = load_pingone_settings(), load_operator_settings()
    _tune(settings)
    memo.service = factory.build(pingone, operator, kube_session.request)
    memo.indexed = asyncio.Event()
    memo.drift = DriftScheduler(operator.drift_interval_seconds, functools.partial(drift_check, memo, indexes))
    memo.drift_task = asyncio.create_task(_run_drift(memo), name="drift checks")
    log.info("configured: PingOne API %s, environment %s, auth method %s, drift interval %ss", pingone.api_url,
             pingone.environment_id, pingone.token_auth_method, operator.drift_interval_seconds)
    if not settings.peering.standalone:
        # One ClusterKopfPeering per release, also when it watches listed namespaces (kopf would
        # otherwise want a KopfPeering in each of them). Set before kopf starts its peering tasks.
        settings.peering.clusterwide = True
        settings.peering.lifetime = operator.peering_lifetime_seconds
        log.info("peering %s: priority %s, lifetime %ss; standby until no live peer has a higher priority",
                 settings.peering.name, settings.peering.priority, settings.peering.lifetime)


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    if "drift_task" in memo:
        memo.drift_task.cancel()
    if "service" in memo:
        await memo.service.aclose()


# Index functions are `async` although they never wait: kopf runs a plain `def` handler in a thread
# pool, and indexes run on every watch event of every object.
@kopf.index(*CONNECTIONS, id="connection_specs")
async def connection_specs(name: str, spec: kopf.Spec, **_: Any) -> dict[str, dict[str, Any]]:
    """PingOneConnections by name, so a sync needs no API call to find its connection."""
    return {name: dict(spec)}


@kopf.index(*RESOURCE, id="claims")
async def claims(body: kopf.Body, namespace: str, name: str, uid: str,
                 **_: Any) -> dict[str, tuple[str, str, bool]] | None:
    """Which resource manages (or wants to adopt) which PingOne application."""
    managed = (body.get("status") or {}).get("applicationId")
    app_id = managed or (body.get("spec") or {}).get("adoptApplicationId")
    return {app_id: (f"{namespace}/{name}", uid, bool(managed))} if app_id else None


@kopf.index(*API_RESOURCES, id="resource_claims")
async def resource_claims(body: kopf.Body, namespace: str, name: str, uid: str,
                          **_: Any) -> dict[str, tuple[str, str, bool]] | None:
    """Which PingOneResource manages (or wants to adopt) which PingOne resource."""
    managed = (body.get("status") or {}).get("resourceId")
    resource_id = managed or (body.get("spec") or {}).get("adoptResourceId")
    return {resource_id: (f"{namespace}/{name}", uid, bool(managed))} if resource_id else None


@kopf.index(*API_RESOURCES, id="grant_owners")
async def grant_owners(body: kopf.Body, namespace: str,
                       **_: Any) -> dict[str, tuple[str, str | None, tuple[str, ...]]] | None:
    """PingOneResources by PingOne name: whose API it is, and who may be granted its scopes."""
    spec, status = body.get("spec") or {}, body.get("status") or {}
    env = spec.get("environmentId") or status.get("environmentId")
    return {spec["name"]: (namespace, env, tuple(spec.get("grantNamespaces") or ()))} if spec.get("name") else None


@kopf.index(*RESOURCE, id=DRIFT_SUBJECTS[APPLICATION.name])
@kopf.index(*API_RESOURCES, id=DRIFT_SUBJECTS[PINGONE_RESOURCE.name])
async def drift_subjects(body: kopf.Body, uid: str, memo: kopf.Memo, **_: Any) -> dict[str, dict[str, Any]]:
    """Each object as its drift check reads it (kopf keeps no body of its own without a timer); and
    every watch event tells the scheduler the object is there, and changed."""
    meta = body["metadata"]
    memo.drift.track((DRIFT_SUBJECTS[body["kind"]], uid))
    return {uid: {"apiVersion": body["apiVersion"], "kind": body["kind"],
                  "metadata": {k: meta[k] for k in SUBJECT_METADATA if k in meta},
                  "spec": body.get("spec"), "status": body.get("status")}}


@kopf.on.create(*RESOURCE, id="sync")
@kopf.on.update(*RESOURCE, id="sync", field="spec")
@kopf.on.create(*API_RESOURCES, id="sync")
@kopf.on.update(*API_RESOURCES, id="sync", field="spec")
async def sync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, retry: int, **indexes: Any) -> None:
    memo.indexed.set()  # kopf runs handlers only once every object is indexed: drift checks may start
    async with memo.service.slot(body["metadata"]["namespace"]):  # a burst's objects wait without models
        resource = _resource(body)
        outcome = await memo.service.sync("change", resource, _lookup(resource, indexes), _state(memo, resource))
    _deliver(outcome, resource, body, patch, retry, _state(memo, resource))


@kopf.on.resume(*RESOURCE, id="resume")
@kopf.on.resume(*API_RESOURCES, id="resume")
async def resume(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, retry: int, reason: kopf.Reason,
                 **indexes: Any) -> None:
    """After a restart, finish a sync whose status never landed (releases that kept kopf's record in
    annotations wrote it and the outcome in two patches: a crash between them left the change marked
    handled). kopf also mixes resume handlers into a change seen at start-up: `sync` handles that."""
    memo.indexed.set()  # as in sync: every object kopf lists at start-up comes here first
    if reason != kopf.Reason.RESUME or _status_is_current(body) or body["metadata"].get("deletionTimestamp"):
        return
    async with memo.service.slot(body["metadata"]["namespace"]):
        resource = _resource(body)
        outcome = await memo.service.sync("change", resource, _lookup(resource, indexes), _state(memo, resource))
    _deliver(outcome, resource, body, patch, retry, _state(memo, resource))


@kopf.on.field(*RESOURCE, id="resync", field=("metadata", "annotations", RESYNC_ANNOTATION))
@kopf.on.field(*API_RESOURCES, id="resync", field=("metadata", "annotations", RESYNC_ANNOTATION))
async def resync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, new: Any, **indexes: Any) -> None:
    """On-demand drift check: a change of the resync annotation runs one (at most one per interval)."""
    resource = _resource(body)
    if new is None or not managed_id(resource) or not memo.service.resync_allowed(resource, _state(memo, resource)):
        return
    async with memo.service.slot(resource.namespace):
        outcome = await memo.service.sync("resync", resource, _lookup(resource, indexes), _state(memo, resource))
    kopf.info(body, reason="Resynced", message="drift check requested by annotation")
    _deliver(outcome, resource, body, patch, 0, _state(memo, resource), raise_failure=False)  # the drift check tries again


async def _run_drift(memo: kopf.Memo) -> None:
    context = await kopf_context.context()
    context.enter()  # the checks' Events go through kopf's poster, as a handler's do
    await memo.indexed.wait()  # kopf runs no handler before every object (connections too) is indexed
    await memo.drift.run(paused=context.paused)


async def drift_check(memo: kopf.Memo, indexes: dict[str, Any], key: tuple[str, str], retry: int) -> bool:
    """One object's drift check, run by the DriftScheduler: False once the object is gone."""
    index, uid = key
    subject = next(iter(indexes[index].get(uid, ())), None)
    if subject is None:
        memo.service.forget(uid)
        return False
    try:
        resource = _resource(subject)
    except kopf.PermanentError:
        return True  # an unreadable spec: the change handler reports it
    if subject["metadata"].get("deletionTimestamp") or not managed_id(resource):
        return True  # being deleted, not created yet, or a failed create: the change handlers own those
    state, lookup = _state(memo, resource), _lookup(resource, indexes)
    if await memo.service.drift_gives_way(resource, lookup, state):
        return True  # changes are queued for PingOne's budget: this check comes an interval later
    async with memo.service.slot(resource.namespace):
        outcome = await memo.service.sync("drift", resource, lookup, state,
                                          read_secret=memo.service.drift_reads_secret(state))
    patch, delay = kopf.Patch(), None
    try:  # a permanent failure is in status and an Event, and the next check looks again
        _deliver(outcome, resource, subject, patch, retry, state, raise_permanent=False)
    except kopf.TemporaryError as failure:
        delay = failure.delay
    if patch.get("status"):
        try:
            await memo.service.write_status(resource, dict(patch["status"]))
        except KubernetesUnavailable:
            delay = backoff(retry)
    if delay is not None:
        raise Retry(delay)
    return True


@kopf.on.delete(*RESOURCE, id="cleanup")
@kopf.on.delete(*API_RESOURCES, id="cleanup")
async def cleanup(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, retry: int, runtime: Any,
                  **indexes: Any) -> None:
    try:
        resource = _resource(body)
    except kopf.PermanentError:
        kopf.warn(body, reason="Orphaned", message="spec unreadable; the PingOne object is left in place")
        return
    outcome = await memo.service.delete(resource, _lookup(resource, indexes), _state(memo, resource),
                                        running_for=runtime.total_seconds(), retry=retry)
    _deliver(outcome, resource, body, patch, retry, _state(memo, resource))


@kopf.on.create(*CONNECTIONS, id="verify")
@kopf.on.update(*CONNECTIONS, id="verify", field="spec")
async def verify_connection(name: str, spec: kopf.Spec, status: kopf.Status, meta: kopf.Meta, patch: kopf.Patch,
                            memo: kopf.Memo, **_: Any) -> None:
    """Ready=True once the connection's credentials sign in to PingOne."""
    current = PingOneConnectionStatus.model_validate(dict(status))
    wanted, failure = await memo.service.verify_connection(name, dict(spec), current, meta.get("generation"))
    if wanted != current:
        patch.status["conditions"] = [c.model_dump(mode="json", exclude_none=True) for c in wanted.conditions or []]
    if failure is not None:
        raise kopf.TemporaryError(f"{failure.reason}: {failure.message}", delay=failure.delay or 120)


# --- translation between kopf and the Service ---------------------------------------------------


def _tune(settings: kopf.OperatorSettings) -> None:
    settings.persistence.finalizer = FINALIZER
    persistence.tune(settings, legacy_prefix=PREFIX)
    settings.posting.reporting_component = "pingone-operator"
    settings.posting.reporting_instance = os.environ.get("POD_NAME", "local")
    settings.networking.connect_timeout = 10
    settings.networking.request_timeout = 60
    settings.watching.connect_timeout = 10
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.execution.default_backoff = 30


def _state(memo: kopf.Memo, resource: Resource) -> ObjectState:
    return memo.service.state(resource.uid)


def _lookup(resource: Resource, indexes: dict[str, Any]) -> Lookup:
    """What kopf's indexes (passed to every handler by id) say about the resource's neighbours."""
    ref = resource.spec.connectionRef
    connection = next(iter(indexes["connection_specs"].get(ref.name, [])), None) if ref else None
    adopt = adoption_target(resource)
    claims = indexes["claims" if resource.kind is APPLICATION else "resource_claims"]  # each kind's ids apart
    grants = getattr(resource.spec, "grants", None) or []
    return Lookup(connection=connection, claims=list(claims.get(adopt, [])) if adopt else [],
                  grant_owners={g.resource: list(indexes["grant_owners"].get(g.resource, [])) for g in grants})


def _resource(body: kopf.Body) -> Resource:
    """The resource as plain data, of its kind; PingOne calls made for it are its namespace's share."""
    meta, kind = body["metadata"], KINDS[body.get("kind") or APPLICATION.name]
    try:
        spec = kind.spec.model_validate(dict(body.get("spec") or {}))
        status = kind.status.model_validate(dict(body.get("status") or {}))
    except ValidationError as exc:
        # Only reachable when the CRD's schema is older than the operator; say which fields.
        fields = ", ".join(".".join(str(p) for p in e["loc"]) + f": {e['msg']}" for e in exc.errors())
        raise kopf.PermanentError(f"invalid resource: {fields}") from None
    current_tenant.set(meta["namespace"])
    return Resource(namespace=meta["namespace"], name=meta["name"], uid=meta["uid"],
                    generation=meta.get("generation", 0), spec=spec, status=status, kind=kind)


def _status_is_current(body: kopf.Body) -> bool:
    """The last sync's outcome reached status (a Ready condition about this generation)."""
    generation = body["metadata"].get("generation")
    ready = next((c for c in (body.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)
    return ready is not None and ready.get("observedGeneration") == generation


def _deliver(outcome: Outcome, resource: Resource, body: kopf.Body, patch: kopf.Patch, retry: int,
             state: ObjectState, *, raise_failure: bool = True, raise_permanent: bool = True) -> None:
    """Status (only what changed), Events, and the failure as kopf's retry advice."""
    seen = resource.status
    if state.failed and outcome.failure is None:
        # The body a retry sees may predate the failure's own write (its watch event not in yet, e.g.
        # while the API server restarts): its conditions are not trusted, so they are written whole.
        seen = seen.model_copy(update={"conditions": None})
    state.failed = outcome.failure is not None
    for name, value in status_patch(seen, outcome.status).items():
        patch.status[name] = value
    for event in outcome.events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)
    failure = outcome.failure
    if failure is None or not raise_failure:
        return
    if not failure.retry:
        if raise_permanent:
            raise kopf.PermanentError(f"{failure.reason}: {failure.message}")
        return
    raise kopf.TemporaryError(f"{failure.reason}: {failure.message}",
                              delay=failure.delay if failure.delay is not None else backoff(retry))
