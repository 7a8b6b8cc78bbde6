"""What one sync does once it knows the application: the PUT (or only a drift report), the
credentials the Secret holds, the status and Events it ends with, and what a deletion needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..api import (
    DeletionPolicy, ManagedEntries, ManagementPolicy, PingOneApplicationStatus, secret_name_for,
)
from . import lists
from .conditions import progress, set_condition
from .fields import APPLICATION_DEFAULTS, Defaults, declared_fields, drifted_fields, field_paths, update_body
from .identity import managed_id
from .outcome import Event, Failure, Outcome, Resource


@dataclass(frozen=True)
class Update:
    drifted: list[str]  # field paths where PingOne differs from the spec
    body: dict[str, Any] | None  # the PUT to send, or None (nothing differs, or only observing)
    event: Event | None


def observe_only(resource: Resource) -> bool:
    return resource.spec.managementPolicy == ManagementPolicy.OBSERVE_ONLY


def update(resource: Resource, app: dict[str, Any], *, drift_check: bool, declared: dict[str, Any] | None = None,
           defaults: Defaults = APPLICATION_DEFAULTS) -> Update:
    """Three-way: declared fields enforced, dropped ones reset, undeclared ones carried over.
    Another kind passes its own declared fields and PingOne's defaults for them."""
    declared = declared_fields(resource.spec) if declared is None else declared
    watching = observe_only(resource)
    # Fields declared at the last successful sync: one that has left the spec is reset.
    managed_before = () if watching else resource.status.managedFields or ()
    drifted = drifted_fields(declared, app, managed_before, defaults)
    if not drifted:
        return Update(drifted, None, None)
    if watching:
        told = drifted == resource.status.driftedFields  # tell it once, not every tick
        event = None if told else Event("Warning", "DriftDetected", f"differs from spec: {', '.join(drifted)}")
        return Update(drifted, None, event)
    reason = "DriftCorrected" if drift_check else "Updated"
    event = Event("Normal", reason, f"PUT to PingOne; changed: {', '.join(drifted)}")
    return Update(drifted, update_body(declared, app, managed_before, defaults), event)


def secret_events(events: list[Event], result: str, secret_name: str) -> list[Event]:
    """One Event per create, not two (each Event is a Kubernetes write)."""
    created = next((i for i, e in enumerate(events) if e.reason == "Created"), None)
    if result == "created" and created is not None:
        event = events[created]
        return [*events[:created], Event(event.type, event.reason, f"{event.message}; credentials in Secret "
                                         f"{secret_name}"), *events[created + 1:]]
    if result == "created":
        return [*events, Event("Normal", "SecretCreated", f"wrote client credentials to Secret {secret_name}")]
    if result == "updated":
        return [*events, Event("Normal", "SecretUpdated", f"updated client credentials in Secret {secret_name}")]
    return events


def synced(resource: Resource, status: PingOneApplicationStatus, app: dict[str, Any], env: str,
           drifted: list[str]) -> PingOneApplicationStatus:
    """The status of a sync that got through: identity, what was declared, conditions."""
    watching = observe_only(resource)
    updates: dict[str, Any] = dict(
        applicationId=app["id"], clientId=app.get("clientId", app["id"]), updatedAt=app.get("updatedAt"),
        environmentId=env, secretName=secret_name_for(resource.name, resource.spec),
        observedGeneration=resource.generation, driftedFields=drifted if (drifted and watching) else None,
        pendingCreate=None,
    )
    if not watching:
        updates["managedFields"] = field_paths(declared_fields(resource.spec))
        entries = lists.keys(resource.spec)
        updates["managedEntries"] = None if entries == ManagedEntries() else entries
    updates["conditions"] = synced_conditions(
        resource, status, drifted, "application exists in PingOne and its credentials are in the Secret")
    return status.model_copy(update=updates)


def synced_conditions(resource: Resource, status: Any, drifted: list[str], ready: str) -> list[Any]:
    """Ready, and Synced unless ObserveOnly found drift."""
    if drifted and observe_only(resource):
        synced_ = (False, "Drifted", f"ObserveOnly: PingOne differs from spec in {', '.join(drifted)}")
    else:
        synced_ = (True, "Synced", "PingOne matches the spec")
    conditions = set_condition(status.conditions, "Synced", *synced_, resource.generation)
    conditions = progress(conditions, "done", "Ready", ready, resource.generation)
    return set_condition(conditions, "Ready", True, "Ready", ready, resource.generation)


def failed(resource: Resource, outcome: Outcome, failure: Failure) -> Outcome:
    """Both conditions False with the failure's reason, and a Warning Event."""
    conditions = set_condition(outcome.status.conditions, "Synced", False, failure.reason, failure.message,
                               resource.generation)
    conditions = set_condition(conditions, "Ready", False, failure.reason, failure.message, resource.generation)
    conditions = progress(conditions, "working" if failure.retry else "stalled", failure.reason, failure.message,
                          resource.generation)
    # Observed, even though it failed: kstatus tells "not seen yet" from "seen and failed" by this.
    update = {"conditions": conditions, "observedGeneration": resource.generation}
    return Outcome(status=outcome.status.model_copy(update=update),
                   events=[*outcome.events, Event("Warning", failure.reason, failure.message)], failure=failure)


def refused(resource: Resource, failure: Failure) -> Outcome:
    """A sync the operator will not attempt (a refused connection, an adoption conflict)."""
    return failed(resource, Outcome(status=resource.status.model_copy()), failure)


def paused(resource: Resource) -> Outcome:
    conditions = set_condition(resource.status.conditions, "Synced", False, "Paused",
                               "managementPolicy is Paused: no PingOne calls", resource.generation)
    conditions = progress(conditions, "done", "Paused", "managementPolicy is Paused", resource.generation)
    return Outcome(status=resource.status.model_copy(update={"conditions": conditions,
                                                             "observedGeneration": resource.generation}))


def deletion_without_pingone(resource: Resource) -> Outcome | None:
    """The outcome of a deletion that needs no PingOne call (and so no connection), if it is one."""
    app_id, noun = managed_id(resource), resource.kind.noun
    if not app_id:
        event = Event("Normal", "Deleted", f"no PingOne {noun} was recorded; nothing to delete")
    elif resource.spec.managementPolicy in (ManagementPolicy.OBSERVE_ONLY, ManagementPolicy.PAUSED):
        event = Event("Normal", "Orphaned", f"left {noun} {app_id} in PingOne (managementPolicy)")
    elif resource.spec.effective_deletion_policy() == DeletionPolicy.ORPHAN:
        event = Event("Normal", "Orphaned", f"left {noun} {app_id} in PingOne (deletionPolicy)")
    else:
        return None
    return Outcome(status=resource.status.model_copy(), events=[event])


def deleted(resource: Resource, gone: bool) -> Outcome:
    app_id, noun = managed_id(resource), resource.kind.noun
    message = f"deleted {noun} {app_id} from PingOne" if gone else f"{noun} {app_id} was already gone"
    return Outcome(status=resource.status.model_copy(), events=[Event("Normal", "Deleted", message)])


def status_patch(current: PingOneApplicationStatus, wanted: PingOneApplicationStatus) -> dict[str, Any]:
    """Only the fields whose value changes, so steady state writes nothing."""
    old, new = _plain(current), _plain(wanted)
    return {k: v for k, v in new.items() if old.get(k) != v}


def _plain(status: PingOneApplicationStatus) -> dict[str, Any]:
    """As a merge patch says it: None removes a field, also inside an object (an old intent's keys);
    list items (conditions) are whole values, so they carry no None."""
    return {name: _json(getattr(status, name)) for name in type(status).model_fields}


def _json(value: Any) -> Any:
    if isinstance(value, list):
        return [v.model_dump(mode="json", exclude_none=True) if hasattr(v, "model_dump") else v for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value
