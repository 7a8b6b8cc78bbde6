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

from .api import SecretRotationStatus, secret_name_for
from .base_reconciler import BaseReconciler, Stop, stop_on
from .lists import ListSync
from .plan import identity, rotation, sync
from .plan import secret as secret_plan
from .plan.access import AccessPolicy
from .plan.failures import EXPECTED, classify
from .plan.fields import create_body
from .plan.outcome import Event, Outcome, Resource
from .ports import CredentialStore, PingOneApplications, StatusWriter
from .resource_reconciler import ResourceReconciler


class Reconciler(BaseReconciler):
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
        super().__init__(status_writer, default_environment_id)
        self.pingone = pingone
        self.credentials = credentials
        self.auth_url = auth_url.rstrip("/")
        self.worker_id = worker_id  # the application the operator signs in as: never managed
        self.lists = ListSync(pingone, worker_id, default_environment_id)
        # PingOneResources through the same connection (client, token, pacing); a change to one
        # makes the applications' grants read the environment's resources afresh.
        self.resources = ResourceReconciler(pingone, status_writer, default_environment_id, on_change=self.lists.forget)

    def changes_waiting(self) -> bool:
        return self.pingone.changes_waiting()

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
            stop_on(identity.protects(self.worker_id, app))
            change = sync.update(resource, app, drift_check=drift_check)
            if change.body is not None:
                app = await self.pingone.replace_application(env, app["id"], change.body)
            if change.event:
                outcome.events.append(change.event)
            listed = await self.lists.sync(resource, env, app["id"], policy, observe_only=sync.observe_only(resource))
            stop_on(listed.failure)
            outcome.events += listed.events
            rotated = None if sync.observe_only(resource) else await self._rotate_if_due(resource, env, app, outcome)
            await self._ensure_secret(resource, env, app, outcome, read_secret, rotated)
        except Stop as stop:
            return sync.failed(resource, outcome, stop.failure)
        except EXPECTED as exc:
            return sync.failed(resource, outcome, classify(exc))
        outcome.status = sync.synced(resource, outcome.status, app, env, change.drifted + listed.drifted)
        return outcome

    async def _read(self, env: str, object_id: str) -> dict[str, Any]:
        return await self.pingone.get_application(env, object_id)

    async def _find(self, env: str, name: str) -> dict[str, Any] | None:
        return await self.pingone.find_application_by_name(env, name)

    async def _create(self, env: str, resource: Resource) -> dict[str, Any]:
        return await self.pingone.create_application(env, create_body(resource.spec))

    async def _rotate_if_due(
        self, resource: Resource, env: str, app: dict[str, Any], outcome: Outcome
    ) -> dict[str, Any] | None:
        """Rotate the client secret once per trigger (also across crashes); the new secret payload."""
        policy = resource.spec.secretRotation
        if policy is None or not secret_plan.holds_secret(resource, app):
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
        # The first sync of a resource does not read the Secret first: it rarely exists yet, and a
        # create that finds one reads it then, with the same ownership check (one round trip less).
        stored = await self.credentials.read(resource, secret_name) if identity.managed_id(resource) else None
        secret = rotated
        if secret is None and secret_plan.holds_secret(resource, app):
            kept = secret_plan.kept_secret(resource, stored.data if stored else {})
            stale = rotation.previous_expired(bool(kept and kept.get("previous")), outcome.status.secretRotation,
                                              datetime.now(timezone.utc))
            # Between secret checks (drift ticks), the Secret's own copy saves a PingOne read.
            secret = kept if kept and not read_secret and not stale else await self.pingone.get_secret(env, app["id"])
        data = secret_plan.render(resource, secret_plan.variables(resource, app, env, self.auth_url, secret))
        labels, annotations = secret_plan.metadata(resource)
        result = await self.credentials.write(resource, secret_name, data, stored, labels, annotations)
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

