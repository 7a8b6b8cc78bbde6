"""What the controller asks of the operator, one call per kopf handler: sync, delete, resync,
verify a connection. Holds the per-object rules that are about running, not about PingOne (one
sync at a time per object, when to re-read the secret, how often a resync may run, when a
deletion gives up). No kopf here; controller/handlers.py adapts it."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any

from . import metrics
from .api import ManagementPolicy, PingOneConnectionStatus
from .config import OperatorSettings
from .connections import ConnectionRefused, Connections
from .pingone import pacing
from .plan import access, sync
from .plan.conditions import set_condition
from .plan.identity import adoption_target, managed_id
from .plan.kinds import APPLICATION
from .plan.outcome import Event, Failure, Outcome, Resource
from .ports import StatusWriter

log = logging.getLogger("pingone_operator")


def backoff(retry: int) -> float:
    """Exponential with jitter, so an outage does not make every object retry in step."""
    return min(600.0, 5.0 * 2 ** min(retry, 8)) * random.uniform(0.5, 1.0)


NEVER = float("-inf")


@dataclass
class ObjectState:
    """Per object, kept across handler calls and drift checks."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # drift checks run beside change handlers
    secret_checked: float = NEVER  # by this process
    last_resync: float = NEVER
    drift_deferrals: int = 0  # drift checks in a row that gave way to queued changes
    failed: bool = False  # the last outcome delivered was a failure


@dataclass(frozen=True)
class Lookup:
    """What kopf's indexes know about the resource's neighbours."""

    connection: dict[str, Any] | None  # the spec of the PingOneConnection it names
    claims: list[tuple[str, str, bool]]  # who manages or adopts the application it adopts
    # The PingOneResources behind the resources its grants name: (namespace, environment, grantNamespaces)
    grant_owners: dict[str, list[tuple[str, str | None, tuple[str, ...]]]] = field(default_factory=dict)


# Syncs running at once per namespace. Each one holds its models, responses and connections, and a
# burst of 1,000 running at once leaves the process with memory it keeps after the burst. But a sync
# holds its slot through its Kubernetes writes too (the intent, the Secret), which take 60-95 ms
# while the API server is busy taking the burst's creates: with 16 slots, the syncs waited on those
# writes and PingOne's budget went a quarter to a third unused (no call queued for it) until every
# create was in; 64 use more of it. Per namespace, so that one team's burst never queues another's.
# The controller takes the slot (`Service.slot`) before it builds the object's models.
SYNCS_PER_NAMESPACE = 64

# A drift check gives way to changes queued for PingOne's budget at most this many times in a row,
# so that a long burst (or an operator that never catches up) still checks each object now and then.
DRIFT_DEFERRALS = 3


class Service:
    def __init__(self, connections: Connections, settings: OperatorSettings, status: StatusWriter) -> None:
        self.connections = connections
        self.settings = settings
        self._status = status
        self._running: dict[str, asyncio.Semaphore] = collections.defaultdict(
            lambda: asyncio.Semaphore(SYNCS_PER_NAMESPACE))
        self._states: dict[str, ObjectState] = {}

    def slot(self, namespace: str) -> asyncio.Semaphore:
        """One of the namespace's sync slots, held around a whole sync. Taken before the object's
        spec and status models are built (~5 KB), so that the objects of a burst wait without them."""
        return self._running[namespace]

    def state(self, uid: str) -> ObjectState:
        """The object's running state, made on first use."""
        if uid not in self._states:
            self._states[uid] = ObjectState()
        return self._states[uid]

    def forget(self, uid: str) -> None:
        """The object is gone."""
        self._states.pop(uid, None)

    async def write_status(self, resource: Resource, fields: dict[str, Any]) -> None:
        """Status fields written outside a kopf handler (a drift check's); raises KubernetesUnavailable."""
        await self._status.patch_status(resource, fields)

    async def sync(self, trigger: str, resource: Resource, lookup: Lookup, state: ObjectState,
                   *, read_secret: bool = True) -> Outcome:
        """Called holding the namespace's `slot`."""
        if resource.spec.managementPolicy == ManagementPolicy.PAUSED:
            return sync.paused(resource)
        try:  # first: may this namespace use the connection for what it asks (adoption included)?
            reconciler, policy = await self.connections.reconciler_for(resource, lookup.connection)
        except ConnectionRefused as refused:
            return sync.refused(resource, refused.failure)
        conflict = access.adoption_conflict(resource.uid, managed_id(resource), adoption_target(resource),
                                            lookup.claims)
        if conflict is None and resource.kind is APPLICATION:
            conflict = access.check_grants(resource.namespace, reconciler.environment_of(resource), resource.spec,
                                           lookup.grant_owners)
        if conflict:
            return sync.refused(resource, conflict)
        async with state.lock:
            with pacing.in_background(trigger == "drift"):
                outcome = await reconciler.sync(resource, drift_check=trigger != "change", read_secret=read_secret,
                                                policy=policy)
        if read_secret and outcome.failure is None:
            state.secret_checked = time.monotonic()
        # Per-object gauges are labelled by namespace and name: an application's only, so that a
        # PingOneResource of the same name never overwrites them.
        metrics.record(trigger, outcome, resource.namespace, resource.name, gauges=resource.kind is APPLICATION)
        return outcome

    async def drift_gives_way(self, resource: Resource, lookup: Lookup, state: ObjectState) -> bool:
        """A drift check is a read that can wait: while calls that change PingOne queue for its
        budget (a burst of creates), the check gives way to them and the next comes an interval
        later, so that a burst's budget goes to its creates first. Not while the object's last sync
        failed: that failure is in its status until a check clears it, and an interval is too long."""
        if state.failed:
            return False
        try:
            reconciler, _ = await self.connections.reconciler_for(resource, lookup.connection)
        except ConnectionRefused:
            return False  # the check reports it
        if state.drift_deferrals >= DRIFT_DEFERRALS or not reconciler.changes_waiting():
            state.drift_deferrals = 0
            return False
        state.drift_deferrals += 1
        metrics.DRIFT_CHECKS_DEFERRED.inc()
        return True

    def drift_reads_secret(self, state: ObjectState) -> bool:
        """The client secret is re-read from PingOne less often than the application. An object this
        process has not checked yet (after a restart) is given a last check at a random point of the
        past interval: a restart of thousands then spreads their secret reads over the interval, as
        before it, instead of doubling the first drift round (a missing Secret is read at once anyway)."""
        interval = self.settings.secret_check_interval_seconds
        now = time.monotonic()
        if state.secret_checked == NEVER:
            state.secret_checked = now - random.uniform(0, interval)
        return now - state.secret_checked >= interval

    def resync_allowed(self, resource: Resource, state: ObjectState) -> bool:
        """Any editor can change the annotation; PingOne's rate budget is everyone's."""
        now = time.monotonic()
        if now - state.last_resync < self.settings.resync_min_interval_seconds:
            log.info("resync of %s/%s skipped: the last one was under %ss ago", resource.namespace, resource.name,
                     self.settings.resync_min_interval_seconds)
            return False
        state.last_resync = now
        return True

    async def delete(self, resource: Resource, lookup: Lookup, state: ObjectState, *, running_for: float,
                     retry: int) -> Outcome:
        """Orphan, Paused and nothing-to-delete need no connection: decided before looking for one.
        A deletion that cannot reach PingOne gives up after DELETE_GIVE_UP_SECONDS."""
        outcome = sync.deletion_without_pingone(resource)
        if outcome is None:
            try:
                reconciler, _ = await self.connections.reconciler_for(resource, lookup.connection)
            except ConnectionRefused as refused:
                outcome = sync.refused(resource, refused.failure)
            else:
                async with state.lock:
                    outcome = await reconciler.delete(resource)
        if outcome.failure:
            left = self.settings.delete_give_up_seconds - running_for
            if left <= 0:
                return self._abandon(resource, outcome, running_for)
            delay = outcome.failure.delay if outcome.failure.delay is not None else backoff(retry)
            outcome.failure = dataclasses.replace(outcome.failure, delay=min(delay, max(left, 1.0)))
        elif resource.kind is APPLICATION:
            metrics.forget(resource.namespace, resource.name)
        return outcome

    @staticmethod
    def _abandon(resource: Resource, outcome: Outcome, running_for: float) -> Outcome:
        """A dead PingOne (or connection) must not pin a resource in Terminating forever."""
        message = (f"gave up deleting the PingOne {resource.kind.noun} after {running_for:.0f} s: "
                   f"{outcome.failure.message}; it is left in PingOne")
        log.warning("deletion of %s/%s abandoned: %s", resource.namespace, resource.name, message)
        metrics.DELETIONS_ABANDONED.inc()
        if resource.kind is APPLICATION:
            metrics.forget(resource.namespace, resource.name)
        return Outcome(status=outcome.status, events=[Event("Warning", "DeleteAbandoned", message)])

    async def verify_connection(self, name: str, spec: dict[str, Any], status: PingOneConnectionStatus,
                                generation: int | None) -> tuple[PingOneConnectionStatus, Failure | None]:
        """Ready=True once the connection's credentials sign in to PingOne."""
        failure = await self.connections.verify(name, spec)
        if failure is None:
            conditions = set_condition(status.conditions, "Ready", True, "SignedIn",
                                       "the credentials sign in to PingOne", generation)
        else:
            conditions = set_condition(status.conditions, "Ready", False, failure.reason, failure.message,
                                       generation)
        return status.model_copy(update={"conditions": conditions}), failure

    async def aclose(self) -> None:
        await self.connections.aclose()
