"""kopf handlers: translate kopf's arguments into a reconcile call and its Outcome back.

Thin on purpose: decisions live in reconcile.py, I/O in pingone/ and kube.py. Handlers return
None (a return value would land in status), write status only when a value changes, and post an
Event for every outcome worth telling.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from typing import Any

import kopf
from pydantic import ValidationError

from . import GROUP, PLURAL, VERSION
from .config import load_operator_settings, load_pingone_settings
from .kube import KubeSecretStore, KubeStatusWriter, api_client
from .models import PingOneApplicationSpec
from .pingone.client import PingOneClient
from .reconcile import Outcome, Reconciler, Resource, status_changes

log = logging.getLogger("pingone_operator")
RESOURCE = (GROUP, VERSION, PLURAL)
PREFIX = GROUP
DELETE_RETRIES = 8  # then the finalizer goes: a dead PingOne must not pin a resource forever


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
    memo.pingone = PingOneClient.from_settings(pingone_settings)
    api = api_client()
    memo.reconciler = Reconciler(
        memo.pingone,
        KubeSecretStore(api),
        KubeStatusWriter(api),
        default_environment_id=pingone_settings.environment_id,
        auth_url=pingone_settings.auth_url,
    )
    log.info(
        "configured: PingOne API %s, environment %s, auth method %s, drift interval %ss",
        pingone_settings.api_url, pingone_settings.environment_id, pingone_settings.token_auth_method,
        operator_settings.drift_interval_seconds,
    )


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    if "pingone" in memo:
        await memo.pingone.aclose()


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


@kopf.on.create(*RESOURCE, id="sync")
@kopf.on.update(*RESOURCE, id="sync", field="spec")
async def sync(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, retry: int, **_: Any) -> None:
    resource = _resource(body, _parse_spec(body))
    async with _lock(memo):
        outcome = await memo.reconciler.sync(resource)
    if outcome.failure is None:
        memo.secret_checked = time.monotonic()
    _deliver(outcome, resource, body, patch, retry)


def _drift_delay(memo: kopf.Memo, **_: Any) -> float:
    # Spread the first checks over a whole interval, so a restart is not a burst of GETs.
    return random.uniform(0, memo.drift_interval) if "drift_interval" in memo else 60.0


def _drift_interval() -> float:
    return load_operator_settings().drift_interval_seconds


@kopf.timer(*RESOURCE, id="drift", interval=_drift_interval(), initial_delay=_drift_delay, idle=5)
async def drift(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    status = body.get("status") or {}
    if not status.get("applicationId"):
        return  # not created yet, or a failed create: the change handler owns that
    try:
        spec = _parse_spec(body)
    except kopf.PermanentError:
        return
    resource = _resource(body, spec)
    # The client secret is re-read from PingOne less often than the application (one GET a tick).
    read_secret = time.monotonic() - memo.get("secret_checked", float("-inf")) >= memo.secret_check_interval
    async with _lock(memo):
        outcome = await memo.reconciler.sync(resource, drift_check=True, read_secret=read_secret)
    if read_secret and outcome.failure is None:
        memo.secret_checked = time.monotonic()
    try:
        _deliver(outcome, resource, body, patch, retry=0)
    except (kopf.TemporaryError, kopf.PermanentError):
        pass  # the status and Event tell it; the next tick tries again


@kopf.on.delete(*RESOURCE, id="cleanup", retries=DELETE_RETRIES, backoff=10)
async def cleanup(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, retry: int, **_: Any) -> None:
    try:
        spec = _parse_spec(body)
    except kopf.PermanentError:
        kopf.warn(body, reason="Orphaned", message="spec unreadable; PingOne application left in place")
        return
    resource = _resource(body, spec)
    async with _lock(memo):
        outcome = await memo.reconciler.delete(resource)
    if outcome.failure and retry + 1 >= DELETE_RETRIES:
        kopf.warn(
            body, reason="DeleteAbandoned",
            message=f"gave up deleting the PingOne application after {DELETE_RETRIES} tries: "
            f"{outcome.failure.message}; it is left in PingOne",
        )
        log.warning("gave up deleting %s/%s: %s", resource.namespace, resource.name, outcome.failure.message)
        outcome.failure = None
    _deliver(outcome, resource, body, patch, retry)
