"""Make one PingOne custom resource and its scopes match one PingOneResource: observe, decide
(plan/resource.py, plan/scopes.py), act. Finding or creating the resource, intents and status
writes are BaseReconciler's, as for applications; like the application Reconciler it never
raises for an expected failure but returns an Outcome."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .base_reconciler import BaseReconciler, Stop, stop_on
from .plan import resource as resource_plan
from .plan import scopes, sync
from .plan.access import AccessPolicy
from .plan.failures import EXPECTED, classify
from .plan.outcome import Event, Outcome, Resource
from .ports import PingOneResources, StatusWriter


class ResourceReconciler(BaseReconciler):
    def __init__(self, pingone: PingOneResources, status_writer: StatusWriter, default_environment_id: str, *,
                 on_change: Callable[[str], None] = lambda env: None) -> None:
        super().__init__(status_writer, default_environment_id)
        self.pingone = pingone
        self.on_change = on_change  # told the environment whenever a resource or scope changes

    def changes_waiting(self) -> bool:
        return self.pingone.changes_waiting()

    async def sync(self, resource: Resource, *, drift_check: bool = False, read_secret: bool = True,
                   policy: AccessPolicy | None = None) -> Outcome:
        """One idempotent pass: create or adopt, correct with PUT, enforce the scopes, report.
        (`read_secret` and `policy` are the application's: a resource has no secret or roles.)"""
        outcome = Outcome(status=resource.status.model_copy())
        env = self.environment_of(resource)
        try:
            found = await self._observe_or_create(resource, env, outcome)
            stop_on(resource_plan.protects(found))
            change = resource_plan.update(resource, found, drift_check=drift_check)
            if change.body is not None:
                found = await self.pingone.replace_resource(env, found["id"], change.body)
            if change.event:
                outcome.events.append(change.event)
            scoped = await self._scopes(resource, env, found["id"], outcome)
        except Stop as stop:
            return sync.failed(resource, outcome, stop.failure)
        except EXPECTED as exc:
            return sync.failed(resource, outcome, classify(exc, "resource"))
        finally:
            if outcome.events:
                self.on_change(env)
        outcome.status = resource_plan.synced(resource, outcome.status, found, env, change.drifted + scoped)
        return outcome

    async def _scopes(self, resource: Resource, env: str, resource_id: str, outcome: Outcome) -> list[str]:
        """Apply the scope changes (Manage), or name them as drift (ObserveOnly)."""
        watching = sync.observe_only(resource)
        planned = scopes.plan(resource.spec, resource.status.managedScopes,
                              await self.pingone.list_scopes(env, resource_id), observe_only=watching)
        if watching:
            return scopes.drifted(planned)
        for change in planned:
            if change.action == "create":
                await self.pingone.create_scope(env, resource_id, change.body or {})
            elif change.action == "update":
                await self.pingone.replace_scope(env, resource_id, change.entry_id or "", change.body or {})
            else:
                await self.pingone.delete_scope(env, resource_id, change.entry_id or "")
        if planned:
            outcome.events.append(Event("Normal", "ScopesUpdated", "; ".join(c.describe() for c in planned)))
        return []

    async def _read(self, env: str, object_id: str) -> dict[str, Any]:
        return await self.pingone.get_resource(env, object_id)

    async def _find(self, env: str, name: str) -> dict[str, Any] | None:
        return await self.pingone.find_resource_by_name(env, name)

    async def _create(self, env: str, resource: Resource) -> dict[str, Any]:
        return await self.pingone.create_resource(env, resource_plan.create_body(resource.spec))

    async def delete(self, resource: Resource) -> Outcome:
        """Delete the resource (PingOne deletes its scopes with it), unless nothing needs PingOne."""
        outcome = sync.deletion_without_pingone(resource)
        if outcome is not None:
            return outcome
        env = self.environment_of(resource)
        try:
            gone = await self.pingone.delete_resource(env, resource.status.resourceId)
        except EXPECTED as exc:
            return sync.failed(resource, Outcome(status=resource.status.model_copy()), classify(exc, "resource"))
        self.on_change(env)
        return sync.deleted(resource, gone)
