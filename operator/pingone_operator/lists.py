"""Runs plan/lists.py against PingOne: reads an application's lists (one list GET each), resolves
the spec's names through a cached catalogue, checks role assignments against the connection,
and applies the changes (or only reports them, for ObserveOnly)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .plan import lists
from .plan.access import AccessPolicy, check_roles
from .plan.outcome import Event, Failure, Resource
from .ports import PingOneApplications

CATALOGUE_SECONDS = 600.0  # names change rarely; an unknown name refreshes at once


@dataclass
class _Cached:
    catalogue: lists.Catalogue = field(default_factory=lists.Catalogue)
    at: float = float("-inf")


@dataclass(frozen=True)
class ListsResult:
    events: list[Event]
    drifted: list[str]  # e.g. "grants[My-API]" for ObserveOnly
    failure: Failure | None = None


class ListSync:
    def __init__(self, pingone: PingOneApplications, worker_id: str, worker_environment: str) -> None:
        self.pingone = pingone
        self.worker_id = worker_id
        self.worker_environment = worker_environment
        self._catalogues: dict[str, _Cached] = {}  # environment -> catalogue

    async def sync(self, resource: Resource, env: str, app_id: str, policy: AccessPolicy | None, *,
                   observe_only: bool) -> ListsResult:
        spec, before = resource.spec, resource.status.managedEntries
        kinds = lists.needed(spec, before)
        if not kinds:
            return ListsResult([], [])
        catalogue = await self._catalogue(env, spec, kinds)
        planned: list[lists.Change] = []
        for kind in lists.KINDS:
            if kind not in kinds:
                continue
            wanted = lists.wanted(spec, kind, catalogue)
            if isinstance(wanted, Failure):
                catalogue = await self._catalogue(env, spec, kinds, refresh=True)  # perhaps just created
                wanted = lists.wanted(spec, kind, catalogue)
                if isinstance(wanted, Failure):
                    return ListsResult([], [], wanted)
            if kind == "roleAssignments" and wanted and not observe_only:
                refused = await self._check_roles(resource, policy, catalogue)
                if refused:
                    return ListsResult([], [], refused)
            have = lists.have(kind, await self.pingone.list_children(env, app_id, kind))
            exclusive = bool(spec.exclusive and getattr(spec.exclusive, lists.SPEC_FIELD[kind]))
            dropped = set() if observe_only else lists.dropped_matches(kind, spec, before, catalogue)
            planned += [c for c in lists.changes(kind, wanted, have, dropped, exclusive and not observe_only)
                        if not (observe_only and c.action == "delete")]
        if observe_only:
            return ListsResult([], [f"{c.kind}[{c.key}]" for c in planned])
        for change in planned:
            await self._apply(env, app_id, change)
        events = [Event("Normal", "ListsUpdated", "; ".join(c.describe() for c in planned))] if planned else []
        return ListsResult(events, [])

    def forget(self, env: str) -> None:
        """The environment's resources or scopes changed: read them afresh next time."""
        self._catalogues.pop(env, None)

    async def _apply(self, env: str, app_id: str, change: lists.Change) -> None:
        if change.action == "create":
            await self.pingone.create_child(env, app_id, change.kind, change.body or {})
        elif change.action == "update":
            await self.pingone.replace_child(env, app_id, change.kind, change.entry_id or "", change.body or {})
        else:
            await self.pingone.delete_child(env, app_id, change.kind, change.entry_id or "")

    async def _check_roles(self, resource: Resource, policy: AccessPolicy | None,
                           catalogue: lists.Catalogue) -> Failure | None:
        if policy is None:
            return None
        held = lists.have("roleAssignments", await self.pingone.list_children(
            self.worker_environment, self.worker_id, "roleAssignments"))
        return check_roles(policy, resource.spec, catalogue.roles, {h.match for h in held})  # type: ignore[misc]

    async def _catalogue(self, env: str, spec: Any, kinds: set[str], refresh: bool = False) -> lists.Catalogue:
        cached = self._catalogues.setdefault(env, _Cached())
        if refresh or time.monotonic() - cached.at > CATALOGUE_SECONDS or not _covers(cached.catalogue, spec, kinds):
            cached.catalogue = await self._read_catalogue(env, spec, kinds)
            cached.at = time.monotonic()
        return cached.catalogue

    async def _read_catalogue(self, env: str, spec: Any, kinds: set[str]) -> lists.Catalogue:
        resources: dict[str, str] = {}
        scopes: dict[str, dict[str, str]] = {}
        if "grants" in kinds:
            resources = {r["name"]: r["id"] for r in await self.pingone.list_resources(env)}
            for grant in spec.grants or []:
                resource_id = resources.get(grant.resource)
                if resource_id and resource_id not in scopes:
                    scopes[resource_id] = {s["name"]: s["id"] for s in await self.pingone.list_scopes(env, resource_id)}
        policies = {p["name"]: p["id"] for p in await self.pingone.list_sign_on_policies(env)} \
            if "signOnPolicyAssignments" in kinds else {}
        roles = {r["name"]: r["id"] for r in await self.pingone.list_roles()} if "roleAssignments" in kinds else {}
        return lists.Catalogue(resources, scopes, policies, roles)


def _covers(catalogue: lists.Catalogue, spec: Any, kinds: set[str]) -> bool:
    """The cached catalogue has every list this spec needs (a list never read is not 'empty')."""
    if "grants" in kinds and (not catalogue.resources or any(
            catalogue.resources.get(g.resource) not in catalogue.scopes for g in spec.grants or []
            if g.resource in catalogue.resources)):
        return False
    if "signOnPolicyAssignments" in kinds and not catalogue.policies:
        return False
    return "roleAssignments" not in kinds or bool(catalogue.roles)
