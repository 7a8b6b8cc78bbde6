"""What every reconciler does alike, whatever the kind (plan/kinds.py): find the PingOne object a
resource stands for, write identity and intents to status at once, and end a sync on a failure.

Finding it, in order: the id recorded in status, else the one to adopt, else (only where it may
exist: an interrupted create, ObserveOnly, a previous NameConflict) an object with the spec's name
that this resource's interrupted create made (a stranger's is a NameConflict), else a new one, with
the create intent written to status before the POST so that a crash between POST and status write
is recovered, never duplicated. A subclass supplies the kind's three calls.
"""

from __future__ import annotations

from typing import Any

from .pingone.errors import NotFound
from .plan import identity
from .plan.failures import EXPECTED
from .plan.outcome import Event, Failure, Outcome, Resource
from .ports import StatusWriter


class Stop(Exception):
    """End this sync with a failure."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure


def stop_on(decision: object) -> None:
    if isinstance(decision, Failure):
        raise Stop(decision)


class BaseReconciler:
    def __init__(self, status_writer: StatusWriter, default_environment_id: str) -> None:
        self.status_writer = status_writer
        self.default_environment_id = default_environment_id

    def changes_waiting(self) -> bool:
        """Calls that change PingOne queue for its rate budget (see ports.Paced)."""
        raise NotImplementedError

    def environment_of(self, resource: Resource) -> str:
        return identity.environment_of(resource, self.default_environment_id)

    # --- the kind's calls ---

    async def _read(self, env: str, object_id: str) -> dict[str, Any]:
        raise NotImplementedError

    async def _find(self, env: str, name: str) -> dict[str, Any] | None:
        raise NotImplementedError

    async def _create(self, env: str, resource: Resource) -> dict[str, Any]:
        raise NotImplementedError

    # --- shared ---

    async def _observe_or_create(self, resource: Resource, env: str, outcome: Outcome) -> dict[str, Any]:
        kind = resource.kind
        object_id = identity.id_to_read(resource)
        if object_id:
            found = await self._get(env, object_id)
            if found is not None:
                if event := identity.adopted(resource, object_id):
                    outcome.events.append(event)
                return found
            gone = identity.missing(resource, object_id, env)
            stop_on(gone)
            outcome.events.append(gone)
            outcome.status = identity.forget(outcome.status, kind)

        # Look the name up only where the object may exist already (identity.may_exist). Otherwise
        # PingOne's unique names guard the POST, and a refusal is looked up to name the holder: a
        # create is 2 calls.
        if identity.may_exist(resource):
            found = await self._find(env, resource.spec.name)
            if found:
                claim = identity.same_name(resource, found, env)
                stop_on(claim)
                outcome.events.append(claim)  # we sent the POST before a crash or a lost answer
                await self._write_status_now(resource, outcome, identity.identity(found, env, kind))
                return found

        intent = identity.create_intent(resource, env)
        stop_on(intent)
        # Recorded before the POST: after a crash, it tells our own object from a stranger's.
        await self._write_status_now(resource, outcome, identity.creating(resource, intent))
        try:
            created = await self._create(env, resource)
        except EXPECTED as exc:
            if 400 <= (getattr(exc, "status", None) or 0) < 500:
                # PingOne answered "no": nothing was created, so the intent must not later claim
                # an object of that name as ours.
                await self._write_status_now(resource, outcome, {"pendingCreate": None})
            if identity.name_taken(exc):  # someone else's: name it in the condition
                stop_on(identity.taken(resource, await self._find(env, resource.spec.name), env))
            raise
        # Not written at once: the sync's final status patch carries it, and until then the intent
        # recovers it (one Kubernetes write fewer per create).
        outcome.status = merged(outcome.status, identity.identity(created, env, kind))
        outcome.events.append(Event("Normal", "Created", f"created {kind.noun} {created['id']} in environment {env}"))
        return created

    async def _get(self, env: str, object_id: str) -> dict[str, Any] | None:
        try:
            return await self._read(env, object_id)
        except NotFound:
            return None

    async def _write_status_now(self, resource: Resource, outcome: Outcome, fields: dict[str, Any]) -> None:
        """Write status at once (identity, intents), and keep the final patch consistent with it."""
        await self.status_writer.patch_status(resource, fields)
        # The final patch (what changed from resource.status) neither writes them twice nor undoes them.
        resource.status = merged(resource.status, fields)
        outcome.status = merged(outcome.status, fields)


def merged(status: Any, fields: dict[str, Any]) -> Any:
    return type(status).model_validate({**status.model_dump(mode="json"), **fields})
