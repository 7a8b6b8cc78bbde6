"""Which PingOne object a resource is (an application, or a PingOneResource's resource): its
environment, the id it knows or adopts, and whether an object found by name is the one its
interrupted create made. Generic over the kind (plan/kinds.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..api import ManagementPolicy, PendingCreate
from .conditions import find_condition, now_rfc3339, progress
from .kinds import APPLICATION, Kind
from .outcome import Event, Failure, Resource
from .rotation import parse_time

# A create intent claims an application of its name only if PingOne made that application around
# the time the intent was recorded (a later one with the same name is a stranger's); the window
# allows for retries and pacing before the POST and for clock skew between PingOne and us.
INTENT_WINDOW_BEFORE = timedelta(minutes=2)
INTENT_WINDOW_AFTER = timedelta(minutes=10)


def environment_of(resource: Resource, connection_environment: str) -> str:
    """The environment a sync uses (and so the one access checks): spec, recorded, connection's."""
    return resource.spec.environmentId or resource.status.environmentId or connection_environment


def managed_id(resource: Resource) -> str | None:
    """PingOne's id of the object this resource manages, once known."""
    return getattr(resource.status, resource.kind.id_field)


def adoption_target(resource: Resource) -> str | None:
    return getattr(resource.spec, resource.kind.adopt_field)


def id_to_read(resource: Resource) -> str | None:
    """The id to GET: the one recorded, else the one to adopt; None means look up by name."""
    return managed_id(resource) or adoption_target(resource)


def adopted(resource: Resource, app_id: str) -> Event | None:
    if managed_id(resource):
        return None
    return Event("Normal", "Adopted", f"adopted existing {resource.kind.noun} {app_id}")


def missing(resource: Resource, app_id: str, env: str) -> Failure | Event:
    """The id was not found: an adoption fails; a recorded object was deleted behind our back."""
    noun = resource.kind.noun
    if not managed_id(resource):
        return Failure("AdoptionFailed", f"no {noun} {app_id} in environment {env} to adopt", retry=False)
    return Event("Warning", f"{noun.capitalize()}Missing", f"{noun} {app_id} was deleted in PingOne")


def forget(status: Any, kind: Kind = APPLICATION) -> Any:
    """The status without the identity of an object that is gone: the next step creates one."""
    gone = {kind.id_field: None, "updatedAt": None}
    if kind is APPLICATION:
        gone["clientId"] = None
    return status.model_copy(update=gone)


def created_by_intent(app: dict[str, Any], intent: PendingCreate | None, env: str) -> bool:
    """The application is the one our interrupted create made: exact name, environment and time."""
    if intent is None or intent.name != app.get("name") or intent.environmentId != env:
        return False
    started, created = parse_time(intent.startedAt), parse_time(app.get("createdAt"))
    if started is None or created is None:
        return False
    return started - INTENT_WINDOW_BEFORE <= created <= started + INTENT_WINDOW_AFTER


def same_name(resource: Resource, found: dict[str, Any], env: str) -> Event | Failure:
    """An object with the spec's name exists: ours after a crash (Recovered), or a conflict."""
    kind = resource.kind
    if created_by_intent(found, resource.status.pendingCreate, env):
        return Event("Normal", "Recovered", f"found {kind.noun} {found['id']} created by an interrupted sync")
    return taken(resource, found, env)


def may_exist(resource: Resource) -> bool:
    """Look the name up before creating: an interrupted create may have made it, ObserveOnly must
    find it, and after a NameConflict a lookup (not another refused POST) tells whether the name
    is free again. Otherwise PingOne's unique names make the POST itself the check."""
    ready = find_condition(resource.status.conditions, "Ready")
    return (resource.status.pendingCreate is not None
            or resource.spec.managementPolicy == ManagementPolicy.OBSERVE_ONLY
            or (ready is not None and ready.reason == "NameConflict"))


def name_taken(exc: Exception) -> bool:
    """PingOne refused a create because the name is in use: UNIQUENESS_VIOLATION on `name` (the
    documented shape), or a 409 (its shape for other conflicts): both mean "look the name up"."""
    if getattr(exc, "status", None) == 409:
        return True
    return any(d.code == "UNIQUENESS_VIOLATION" and d.target in ("name", None) for d in getattr(exc, "details", ()))


def taken(resource: Resource, found: dict[str, Any] | None, env: str) -> Failure:
    """The name is someone else's: adopt it explicitly or choose another."""
    holder = f" by {resource.kind.noun} {found['id']}" if found else ""
    return Failure(
        "NameConflict",
        f"the name {resource.spec.name!r} is taken in environment {env}{holder}, which this resource did not "
        f"create; set spec.{resource.kind.adopt_field} to manage it, or choose another name",
        retry=True,
    )


def create_intent(resource: Resource, env: str) -> PendingCreate | Failure:
    """What to record before the POST, or why not to create at all."""
    if resource.spec.managementPolicy == ManagementPolicy.OBSERVE_ONLY:
        return Failure("NotFound", f"ObserveOnly: no {resource.kind.noun} named {resource.spec.name!r} in {env}",
                       retry=True)
    return PendingCreate(name=resource.spec.name, environmentId=env, startedAt=now_rfc3339())


def creating(resource: Resource, intent: PendingCreate) -> dict[str, Any]:
    """The status written before the POST: the intent, and Reconciling=True (kstatus: InProgress)."""
    conditions = progress(resource.status.conditions, "working", "Creating",
                          f"creating it in environment {intent.environmentId}", resource.generation)
    return {"pendingCreate": intent.model_dump(mode="json"), "observedGeneration": resource.generation,
            "conditions": [c.model_dump(mode="json", exclude_none=True) for c in conditions]}


def identity(app: dict[str, Any], env: str, kind: Kind = APPLICATION) -> dict[str, Any]:
    """The status fields that record which object this is: written at once."""
    fields = {kind.id_field: app["id"], "environmentId": env, "pendingCreate": None}
    if kind is APPLICATION:
        fields["clientId"] = app.get("clientId", app["id"])
    return fields


def protects(worker_id: str, app: dict[str, Any]) -> Failure | None:
    """The worker application the operator signs in with is never managed, whatever led to it."""
    if worker_id and worker_id in (app["id"], app.get("clientId")):
        return Failure("ProtectedApplication", "this is the worker application the operator signs in with; "
                       "it can never be managed", retry=False)
    return None
