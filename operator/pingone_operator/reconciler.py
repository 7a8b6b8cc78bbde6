"""Make one PingOne application match one PingOneApplication: observe, decide (plan/), act.

Generic over its two ports (ports.py): PingOne's applications, and the Kubernetes side (the
credentials Secret and the status write that cannot wait: identity and intents). It owns the
order of things, the intents, conditions and Events. It never raises for an expected failure: it
returns an Outcome with the status to write, the Events to post and, on failure, whether and when
to retry. The controller turns that into kopf's terms.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .api import PingOneApplicationStatus, SecretRotationStatus, secret_name_for
from .lists import ListSync
from .pingone.errors import NotFound
from .plan import identity, rotation, sync
from .plan.access import AccessPolicy
from .plan.failures import EXPECTED, classify
from .plan.fields import create_body
from .plan.outcome import Event, Failure, Outcome, Resource
from .ports import CredentialStore, PingOneApplications, StatusWriter


class _Stop(Exception):
    """Internal: end this sync with a failure."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure


class Reconciler:
    def __init__(
        self,
        pingone: PingOneApplications,
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
        self.lists = ListSync(pingone, worker_id, default_environment_id)

    def environment_of(self, resource: Resource) -> str:
        return identity.environment_of(resource, self.default_environment_id)

    async def sync(self, resource: Resource, *, drift_check: bool = False, read_secret: bool = True,
                   policy: AccessPolicy | None = None) -> Outcome:
        """One idempotent pass: create or adopt, correct with PUT, keep the Secret, report.

        `read_secret=False` skips reading the client secret from PingOne when the Kubernetes
        Secret already holds one (drift ticks between secret checks cost a single GET).
        """
        outcome = Outcome(status=resource.status.model_copy())
        env = self.environment_of(resource)
        try:
            app = await self._observe_or_create(resource, env, outcome)
            _stop_on(identity.protects(self.worker_id, app))
            change = sync.update(resource, app, drift_check=drift_check)
            if change.body is not None:
                app = await self.pingone.replace_application(env, app["id"], change.body)
            if change.event:
                outcome.events.append(change.event)
            listed = await self.lists.sync(resource, env, app["id"], policy, observe_only=sync.observe_only(resource))
            _stop_on(listed.failure)
            outcome.events += listed.events
            rotated = None if sync.observe_only(resource) else await self._rotate_if_due(resource, env, app, outcome)
            await self._ensure_secret(resource, env, app, outcome, read_secret, rotated)
        except _Stop as stop:
            return sync.failed(resource, outcome, stop.failure)
        except EXPECTED as exc:
            return sync.failed(resource, outcome, classify(exc))
        outcome.status = sync.synced(resource, outcome.status, app, env, change.drifted + listed.drifted)
        return outcome

    async def _observe_or_create(self, resource: Resource, env: str, outcome: Outcome) -> dict[str, Any]:
        app_id = identity.application_to_read(resource)
        if app_id:
            app = await self._get(env, app_id)
            if app is not None:
                if event := identity.adopted(resource, app_id):
                    outcome.events.append(event)
                return app
            gone = identity.missing(resource, app_id, env)
            _stop_on(gone)
            outcome.events.append(gone)
            outcome.status = identity.forget_application(outcome.status)

        found = await self.pingone.find_application_by_name(env, resource.spec.name)
        if found:
            claim = identity.same_name(resource, found, env)
            _stop_on(claim)
            outcome.events.append(claim)  # we sent the POST before a crash or a lost answer
            await self._write_status_now(resource, outcome, identity.identity(found, env))
            return found

        intent = identity.create_intent(resource, env)
        _stop_on(intent)
        # Recorded before the POST: after a crash, it tells our own application from a stranger's.
        await self._write_status_now(resource, outcome, {"pendingCreate": intent.model_dump(mode="json")})
        try:
            created = await self.pingone.create_application(env, create_body(resource.spec))
        except EXPECTED as exc:
            if 400 <= (getattr(exc, "status", None) or 0) < 500:
                # PingOne answered "no": nothing was created, so the intent must not later claim
                # an application of that name as ours.
                await self._write_status_now(resource, outcome, {"pendingCreate": None})
            raise
        await self._write_status_now(resource, outcome, identity.identity(created, env))
        outcome.events.append(Event("Normal", "Created", f"created application {created['id']} in environment {env}"))
        return created

    async def _get(self, env: str, app_id: str) -> dict[str, Any] | None:
        try:
            return await self.pingone.get_application(env, app_id)
        except NotFound:
            return None

    async def _write_status_now(self, resource: Resource, outcome: Outcome, fields: dict[str, Any]) -> None:
        """Write status at once (identity, intents), and keep the final patch consistent with it."""
        await self.status_writer.patch_status(resource, fields)
        for target in (resource, outcome):  # the final patch neither writes them twice nor undoes them
            target.status = PingOneApplicationStatus.model_validate({**target.status.model_dump(mode="json"), **fields})

    async def _rotate_if_due(
        self, resource: Resource, env: str, app: dict[str, Any], outcome: Outcome
    ) -> dict[str, Any] | None:
        """Rotate the client secret once per trigger (also across crashes); the new secret payload."""
        policy = resource.spec.secretRotation
        if policy is None or not sync.holds_secret(resource, app):
            return None
        recorded = resource.status.secretRotation or SecretRotationStatus()
        state = rotation.with_baseline(policy, recorded)
        if state != recorded:
            outcome.status = outcome.status.model_copy(update={"secretRotation": state})
        now = datetime.now(timezone.utc)
        if state.pendingExpiresAt:
            # A rotation was in flight when we stopped. If PingOne shows its overlap, it happened.
            current = await self.pingone.get_secret(env, app["id"])
            shown = (current.get("previous") or {}).get("expiresAt")
            if rotation.sent_by_intent(shown, state.pendingExpiresAt):
                return self._rotated(outcome, state, current, shown, now, "recovered an interrupted rotation")
        else:
            if rotation.rotation_due(policy, state, app.get("createdAt"), now) is None:
                return None
            state = rotation.intent(policy, state, now)
            await self._write_status_now(resource, outcome, {"secretRotation": state.model_dump(mode="json")})
        answer, sent = await self.pingone.rotate_secret(env, app["id"], policy.overlapSeconds)
        expires = (answer.get("previous") or {}).get("expiresAt") or \
            (rotation.format_time(sent) if sent else state.pendingExpiresAt)
        return self._rotated(outcome, state, answer, expires, now, "rotated the client secret")

    @staticmethod
    def _rotated(outcome: Outcome, state: SecretRotationStatus, secret: dict[str, Any], expires: str | None, now: datetime,
                 what: str) -> dict[str, Any]:
        outcome.status = outcome.status.model_copy(update={"secretRotation": rotation.rotated(state, expires, now)})
        outcome.events.append(Event("Normal", "SecretRotated", f"{what}; the previous secret works until {expires}"))
        return secret

    async def _ensure_secret(self, resource: Resource, env: str, app: dict[str, Any], outcome: Outcome,
                             read_secret: bool, rotated: dict[str, Any] | None) -> None:
        secret_name = secret_name_for(resource.name, resource.spec)
        stored = await self.credentials.read(resource, secret_name)
        kept = stored.data if stored else {}
        secret = rotated
        if secret is None and sync.holds_secret(resource, app):
            stale = rotation.previous_expired(frozenset(kept), outcome.status.secretRotation,
                                              datetime.now(timezone.utc))
            if read_secret or "client-secret" not in kept or stale:
                secret = await self.pingone.get_secret(env, app["id"])
        data = sync.credentials(resource, app, env, self.auth_url, secret, kept)
        result = await self.credentials.write(resource, secret_name, data, stored)
        outcome.events[:] = sync.secret_events(outcome.events, result, secret_name)

    async def delete(self, resource: Resource) -> Outcome:
        outcome = sync.deletion_without_pingone(resource)
        if outcome is not None:
            return outcome
        try:
            gone = await self.pingone.delete_application(self.environment_of(resource), resource.status.applicationId)
        except EXPECTED as exc:
            return sync.failed(resource, Outcome(status=resource.status.model_copy()), classify(exc))
        return sync.deleted(resource, gone)


def _stop_on(decision: object) -> None:
    if isinstance(decision, Failure):
        raise _Stop(decision)

