"""Make one PingOne application match one PingOneApplication: observe, decide, act.

Knows PingOne (through the client) and the Kubernetes side only through two small ports: a
credential store for the Secret and a status writer for the one write that cannot wait (the
create intent). Never raises for an expected failure: it returns an Outcome with the status to
write, the Events to post and, on failure, whether and when to retry. handlers.py turns that into
kopf's terms.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, Protocol

from .body import create_body, declared_fields, drifted_fields, field_paths, update_body
from .conditions import now_rfc3339, set_condition
from .models import DeletionPolicy, ManagementPolicy, PingOneApplicationSpec, secret_name_for
from .rotation import format_time, parse_time, rotation_due
from .pingone.client import PingOneClient
from .pingone.errors import (
    AuthenticationFailed,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    PingOneError,
    RateLimited,
    TokenRequestFailed,
    ValidationFailed,
)

log = logging.getLogger(__name__)

# Auth methods whose clients hold a client secret (and so need it in the Secret).
SECRET_METHODS = frozenset({"CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "CLIENT_SECRET_JWT"})
SECRET_KEYS = ("client-secret", "previous-client-secret")


@dataclass(frozen=True)
class Resource:
    namespace: str
    name: str
    uid: str
    generation: int
    spec: PingOneApplicationSpec
    status: dict[str, Any]


@dataclass(frozen=True)
class Event:
    type: Literal["Normal", "Warning"]
    reason: str
    message: str


@dataclass(frozen=True)
class Failure:
    reason: str
    message: str
    retry: bool  # False: wait for the spec to change
    delay: float | None = None  # seconds, when the failure itself says how long (429)


@dataclass
class Outcome:
    status: dict[str, Any] = field(default_factory=dict)  # operator-owned status fields, complete
    events: list[Event] = field(default_factory=list)
    failure: Failure | None = None


class SecretConflict(Exception):
    """The Secret's name is taken by a Secret this resource does not own."""


class SecretStoreFailed(Exception):
    """Kubernetes refused or failed a read or write of the Secret."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


class KubernetesUnavailable(Exception):
    """The API server could not be reached (or failed) for one of the operator's own writes."""


@dataclass(frozen=True)
class StoredSecret:
    """The credentials Secret as it is in Kubernetes (ours: a foreign one raises SecretConflict)."""

    data: dict[str, str]
    up_to_date_metadata: bool  # owner reference to this very resource, and our labels


class CredentialStore(Protocol):
    async def read(self, resource: Resource, secret_name: str) -> StoredSecret | None:
        """The Secret if it exists; raises SecretConflict if someone else owns the name."""

    async def write(
        self, resource: Resource, secret_name: str, data: dict[str, str], stored: StoredSecret | None
    ) -> str:
        """Create or update the Secret; returns "created", "updated" or "unchanged"."""


class StatusWriter(Protocol):
    async def patch_status(self, resource: Resource, fields: dict[str, Any]) -> None: ...


class _Stop(Exception):
    """Internal: end this sync with a failure."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure


def classify(exc: Exception) -> Failure:
    """PingOne errors to condition reasons and retry advice (DESIGN: errors are classified)."""
    if isinstance(exc, ValidationFailed):
        return Failure("InvalidSpec", f"PingOne refused the application: {exc}", retry=False)
    if isinstance(exc, (RateLimited, TokenRequestFailed)) and exc.status == 429:
        return Failure("RateLimited", str(exc), retry=True, delay=exc.retry_after or None)
    if isinstance(exc, MalformedResponse):
        return Failure("InvalidResponse", f"{exc} (a proxy or gateway in the way?)", retry=True)
    if isinstance(exc, TokenRequestFailed) and (exc.status is None or exc.status >= 500):
        return Failure("PingOneUnavailable", str(exc), retry=True)
    if isinstance(exc, (AuthenticationFailed, TokenRequestFailed)):
        return Failure("AuthenticationFailed", f"the operator could not sign in to PingOne: {exc}", retry=True)
    if isinstance(exc, PermissionDenied):
        return Failure(
            "PermissionDenied",
            f"{exc} (does the environment exist, and has the operator's worker app a role in it?)",
            retry=True,
        )
    if isinstance(exc, SecretConflict):
        return Failure("SecretConflict", str(exc), retry=True)
    if isinstance(exc, SecretStoreFailed):
        reason = "SecretForbidden" if exc.status == 403 else "SecretUnavailable"
        return Failure(reason, str(exc), retry=True)
    if isinstance(exc, KubernetesUnavailable):
        return Failure("KubernetesUnavailable", str(exc), retry=True)
    if isinstance(exc, PingOneError):
        return Failure("PingOneUnavailable", str(exc), retry=True)
    return Failure("InternalError", f"{type(exc).__name__}: {exc}", retry=True)


class Reconciler:
    def __init__(
        self,
        pingone: PingOneClient,
        credentials: CredentialStore,
        status_writer: StatusWriter,
        *,
        default_environment_id: str,
        auth_url: str,
        worker_id: str = "",
    ) -> None:
        self.pingone = pingone
        self.credentials = credentials
        self.status_writer = status_writer
        self.default_environment_id = default_environment_id
        self.auth_url = auth_url.rstrip("/")
        self.worker_id = worker_id  # the application the operator signs in as: never managed

    def environment_of(self, resource: Resource) -> str:
        return resource.spec.environmentId or resource.status.get("environmentId") or self.default_environment_id

    async def sync(self, resource: Resource, *, drift_check: bool = False, read_secret: bool = True) -> Outcome:
        """One idempotent pass: create or adopt, correct with PUT, keep the Secret, report.

        `read_secret=False` skips reading the client secret from PingOne when the Kubernetes
        Secret already holds one (drift ticks between secret checks cost a single GET).
        """
        outcome = Outcome(status=_owned_status(resource.status))
        env = self.environment_of(resource)
        declared = declared_fields(resource.spec)
        observe_only = resource.spec.managementPolicy == ManagementPolicy.OBSERVE_ONLY
        # Fields declared at the last successful sync: one that has left the spec is reset.
        managed_before = () if observe_only else resource.status.get("managedFields") or ()
        try:
            app = await self._observe_or_create(resource, env, outcome)
            if self.worker_id and self.worker_id in (app["id"], app.get("clientId")):
                raise _Stop(Failure("ProtectedApplication", "this is the worker application the operator signs in "
                                    "with; it can never be managed", retry=False))
            drifted = drifted_fields(declared, app, managed_before)
            if drifted and observe_only:
                if drifted != resource.status.get("driftedFields"):  # tell it once, not every tick
                    outcome.events.append(Event("Warning", "DriftDetected", f"differs from spec: {', '.join(drifted)}"))
            elif drifted:
                body = update_body(declared, app, managed_before)
                app = await self.pingone.replace_application(env, app["id"], body)
                reason = "DriftCorrected" if drift_check else "Updated"
                outcome.events.append(Event("Normal", reason, f"PUT to PingOne; changed: {', '.join(drifted)}"))
            secret_name = secret_name_for(resource.name, resource.spec)
            rotated = None if observe_only else await self._rotate_if_due(resource, env, app, outcome)
            await self._ensure_secret(resource, env, app, secret_name, outcome, read_secret, rotated)
        except _Stop as stop:
            return self._failed(resource, outcome, stop.failure)
        except (PingOneError, SecretConflict, SecretStoreFailed, KubernetesUnavailable) as exc:
            return self._failed(resource, outcome, classify(exc))

        status = outcome.status
        status.update(
            applicationId=app["id"],
            clientId=app.get("clientId", app["id"]),
            updatedAt=app.get("updatedAt"),
            environmentId=env,
            secretName=secret_name,
            observedGeneration=resource.generation,
            driftedFields=drifted if (drifted and observe_only) else None,
            pendingCreate=None,
        )
        if not observe_only:
            status["managedFields"] = field_paths(declared)
        if drifted and observe_only:
            synced = (False, "Drifted", f"ObserveOnly: PingOne differs from spec in {', '.join(drifted)}")
        else:
            synced = (True, "Synced", "PingOne matches the spec")
        conditions = set_condition(status.get("conditions"), "Synced", *synced, resource.generation)
        status["conditions"] = set_condition(
            conditions, "Ready", True, "Ready", "application exists in PingOne and its credentials are in the Secret",
            resource.generation,
        )
        return outcome

    async def _observe_or_create(self, resource: Resource, env: str, outcome: Outcome) -> dict[str, Any]:
        spec = resource.spec
        known_id = resource.status.get("applicationId")
        app_id = known_id or spec.adoptApplicationId
        if app_id:
            try:
                app = await self.pingone.get_application(env, app_id)
            except NotFound:
                if not known_id:
                    raise _Stop(Failure(
                        "AdoptionFailed", f"no application {app_id} in environment {env} to adopt", retry=False
                    )) from None
                outcome.events.append(Event("Warning", "ApplicationMissing", f"application {app_id} was deleted in PingOne"))
                outcome.status.update(applicationId=None, clientId=None, updatedAt=None)
            else:
                if not known_id:
                    outcome.events.append(Event("Normal", "Adopted", f"adopted existing application {app_id}"))
                return app

        desired_name = spec.name
        same_name = await self.pingone.find_application_by_name(env, desired_name)
        if same_name:
            if _created_by_intent(same_name, resource.status.get("pendingCreate"), env):
                # We sent the POST before a crash or a lost answer: this application is ours.
                outcome.events.append(Event("Normal", "Recovered", f"found application {same_name['id']} created by an interrupted sync"))
                await self._record_identity(resource, outcome, env, same_name)
                return same_name
            raise _Stop(Failure(
                "NameConflict",
                f"an application named {desired_name!r} already exists in environment {env} "
                f"(id {same_name['id']}) and this resource did not create it; "
                "set spec.adoptApplicationId to manage it, or choose another name",
                retry=True,
            ))
        if spec.managementPolicy == ManagementPolicy.OBSERVE_ONLY:
            raise _Stop(Failure("NotFound", f"ObserveOnly: no application named {desired_name!r} in {env}", retry=True))

        # Record the intent before POST: after a crash, it tells our own application from a stranger's.
        await self._write_status_now(
            resource, outcome, {"pendingCreate": {"name": desired_name, "environmentId": env, "startedAt": now_rfc3339()}}
        )
        try:
            created = await self.pingone.create_application(env, create_body(spec))
        except PingOneError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                # PingOne answered "no": nothing was created, so the intent must not later claim
                # an application of that name as ours.
                await self._write_status_now(resource, outcome, {"pendingCreate": None})
            raise
        await self._record_identity(resource, outcome, env, created)
        outcome.events.append(Event("Normal", "Created", f"created application {created['id']} in environment {env}"))
        return created

    async def _record_identity(self, resource: Resource, outcome: Outcome, env: str, app: dict[str, Any]) -> None:
        """Write the application id at once, before anything else can fail."""
        await self._write_status_now(
            resource, outcome,
            {"applicationId": app["id"], "clientId": app.get("clientId", app["id"]), "environmentId": env,
             "pendingCreate": None},
        )

    async def _write_status_now(self, resource: Resource, outcome: Outcome, fields: dict[str, Any]) -> None:
        """Write status at once (identity, intents), and keep the final patch consistent with it."""
        await self.status_writer.patch_status(resource, fields)
        resource.status.update(fields)  # the final patch does not write them twice...
        outcome.status.update(fields)  # ...nor undo them if this sync then fails

    async def _rotate_if_due(
        self, resource: Resource, env: str, app: dict[str, Any], outcome: Outcome
    ) -> dict[str, Any] | None:
        """Rotate the client secret once per trigger (also across crashes); the new secret payload."""
        rotation = resource.spec.secretRotation
        if rotation is None or resource.spec.tokenEndpointAuthMethod not in SECRET_METHODS:
            return None
        state = dict(resource.status.get("secretRotation") or {})
        if state.get("trigger") is None and rotation.trigger is not None and not state.get("pendingExpiresAt"):
            state["trigger"] = rotation.trigger  # the first trigger seen is the baseline
            outcome.status["secretRotation"] = state
        now = datetime.now(timezone.utc)
        pending = state.get("pendingExpiresAt")
        if pending:
            # A rotation was in flight when we stopped. If PingOne shows its overlap, it happened.
            current = await self.pingone.get_secret(env, app["id"])
            shown = (current.get("previous") or {}).get("expiresAt")
            if _sent_after(shown, pending):
                return self._rotated(state, current, shown, now, outcome, "recovered an interrupted rotation")
        else:
            why = rotation_due(rotation, state, app.get("createdAt"), now)
            if why is None:
                return None
            # The earliest expiry the request can carry: it tells our rotation apart after a crash.
            pending = format_time(now + timedelta(seconds=rotation.overlapSeconds))
            state.update(pendingTrigger=rotation.trigger, pendingExpiresAt=pending)
            await self._write_status_now(resource, outcome, {"secretRotation": state})
        rotated, sent = await self.pingone.rotate_secret(env, app["id"], rotation.overlapSeconds)
        expires = (rotated.get("previous") or {}).get("expiresAt") or (format_time(sent) if sent else pending)
        return self._rotated(state, rotated, expires, now, outcome, "rotated the client secret")

    @staticmethod
    def _rotated(state: dict[str, Any], secret: dict[str, Any], expires: str, now: datetime, outcome: Outcome,
                 what: str) -> dict[str, Any]:
        trigger = state.get("pendingTrigger", state.get("trigger"))
        outcome.status["secretRotation"] = {
            "trigger": trigger, "lastRotatedAt": format_time(now), "previousExpiresAt": expires,
            "pendingTrigger": None, "pendingExpiresAt": None,
        }
        outcome.events.append(Event("Normal", "SecretRotated", f"{what}; the previous secret works until {expires}"))
        return secret

    async def _ensure_secret(
        self, resource: Resource, env: str, app: dict[str, Any], secret_name: str, outcome: Outcome,
        read_secret: bool = True, pingone_secret: dict[str, Any] | None = None,
    ) -> None:
        method = app.get("tokenEndpointAuthMethod", resource.spec.tokenEndpointAuthMethod)
        data = {
            "client-id": app.get("clientId", app["id"]),
            "environment-id": env,
            "issuer": f"{self.auth_url}/{env}/as",
            "token-endpoint": f"{self.auth_url}/{env}/as/token",
            "token-endpoint-auth-method": method,
        }
        stored = await self.credentials.read(resource, secret_name)
        if method in SECRET_METHODS:
            if pingone_secret or read_secret or not stored or "client-secret" not in stored.data \
                    or _previous_expired(stored, outcome.status.get("secretRotation")):
                secret = pingone_secret or await self.pingone.get_secret(env, app["id"])
                data["client-secret"] = secret["secret"]
                previous = secret.get("previous") or {}
                if previous.get("secret"):
                    data["previous-client-secret"] = previous["secret"]
            else:  # between secret checks, keep the secret the Secret already holds
                data.update({k: v for k, v in stored.data.items() if k in SECRET_KEYS})
        result = await self.credentials.write(resource, secret_name, data, stored)
        created = next((i for i, e in enumerate(outcome.events) if e.reason == "Created"), None)
        if result == "created" and created is not None:
            # One Event per create, not two: each Event is a Kubernetes write.
            event = outcome.events[created]
            outcome.events[created] = Event(event.type, event.reason, f"{event.message}; credentials in Secret {secret_name}")
        elif result == "created":
            outcome.events.append(Event("Normal", "SecretCreated", f"wrote client credentials to Secret {secret_name}"))
        elif result == "updated":
            outcome.events.append(Event("Normal", "SecretUpdated", f"updated client credentials in Secret {secret_name}"))

    def refuse(self, resource: Resource, failure: Failure) -> Outcome:
        """An outcome for a sync the operator will not attempt (e.g. an adoption conflict)."""
        return self._failed(resource, Outcome(status=_owned_status(resource.status)), failure)

    def paused(self, resource: Resource) -> Outcome:
        outcome = Outcome(status=_owned_status(resource.status))
        outcome.status["conditions"] = set_condition(
            outcome.status.get("conditions"), "Synced", False, "Paused",
            "managementPolicy is Paused: no PingOne calls", resource.generation,
        )
        return outcome

    def _failed(self, resource: Resource, outcome: Outcome, failure: Failure) -> Outcome:
        outcome.failure = failure
        status = outcome.status
        status["conditions"] = set_condition(
            set_condition(status.get("conditions"), "Synced", False, failure.reason, failure.message, resource.generation),
            "Ready", False, failure.reason, failure.message, resource.generation,
        )
        outcome.events.append(Event("Warning", failure.reason, failure.message))
        return outcome

    def deletion_without_pingone(self, resource: Resource) -> Outcome | None:
        """The outcome of a deletion that needs no PingOne call (and so no connection), if it is one."""
        app_id = resource.status.get("applicationId")
        outcome = Outcome(status=_owned_status(resource.status))
        if not app_id:
            outcome.events.append(Event("Normal", "Deleted", "no PingOne application was recorded; nothing to delete"))
        elif resource.spec.managementPolicy in (ManagementPolicy.OBSERVE_ONLY, ManagementPolicy.PAUSED):
            outcome.events.append(Event("Normal", "Orphaned", f"left application {app_id} in PingOne (managementPolicy)"))
        elif resource.spec.effective_deletion_policy() == DeletionPolicy.ORPHAN:
            outcome.events.append(Event("Normal", "Orphaned", f"left application {app_id} in PingOne (deletionPolicy)"))
        else:
            return None
        return outcome

    async def delete(self, resource: Resource) -> Outcome:
        outcome = self.deletion_without_pingone(resource)
        if outcome is None:
            outcome = Outcome(status=_owned_status(resource.status))
            app_id = resource.status.get("applicationId")
            env = self.environment_of(resource)
            try:
                gone = await self.pingone.delete_application(env, app_id)
            except PingOneError as exc:
                return self._failed(resource, outcome, classify(exc))
            message = f"deleted application {app_id} from PingOne" if gone else f"application {app_id} was already gone"
            outcome.events.append(Event("Normal", "Deleted", message))
        return outcome


# How long after its intent is recorded a rotation may reach PingOne (pacing, 429 pauses, retries).
ROTATION_SEND_WINDOW = timedelta(minutes=10)

OWNED_STATUS_FIELDS = (
    "applicationId", "clientId", "updatedAt", "environmentId", "observedGeneration", "secretName",
    "driftedFields", "managedFields", "pendingCreate", "secretRotation", "conditions",
)


# A create intent claims an application of its name only if PingOne made that application around
# the time the intent was recorded (a later one with the same name is a stranger's); the window
# allows for retries and pacing before the POST and for clock skew between PingOne and us.
INTENT_WINDOW_BEFORE = timedelta(minutes=2)
INTENT_WINDOW_AFTER = timedelta(minutes=10)


def _created_by_intent(app: dict[str, Any], intent: dict[str, Any] | None, env: str) -> bool:
    """The application is the one our interrupted create made: exact name, environment and time."""
    if not intent or intent.get("name") != app.get("name") or intent.get("environmentId") != env:
        return False
    started, created = parse_time(intent.get("startedAt")), parse_time(app.get("createdAt"))
    if started is None or created is None:
        return False
    return started - INTENT_WINDOW_BEFORE <= created <= started + INTENT_WINDOW_AFTER


def _sent_after(shown: str | None, pending: str) -> bool:
    """PingOne's previous.expiresAt is the one our in-flight rotation sent: computed at send time,
    so at or after the recorded earliest value, and not long after it."""
    moment, earliest = parse_time(shown), parse_time(pending)
    if moment is None or earliest is None:
        return False
    return timedelta(seconds=-1) <= moment - earliest <= ROTATION_SEND_WINDOW


def _previous_expired(stored: StoredSecret | None, rotation: dict[str, Any] | None) -> bool:
    """The Secret still carries a previous secret whose overlap has ended: time to drop it."""
    if not stored or "previous-client-secret" not in stored.data:
        return False
    expires = parse_time((rotation or {}).get("previousExpiresAt"))
    return expires is None or expires <= datetime.now(timezone.utc)


def _owned_status(status: dict[str, Any]) -> dict[str, Any]:
    return {k: status.get(k) for k in OWNED_STATUS_FIELDS}


def status_changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """Only the fields whose value changes, so steady state writes nothing."""
    return {k: v for k, v in wanted.items() if current.get(k) != v}
