"""An application's lists in PingOne: grants, attribute mappings, sign-on policy assignments and
role assignments. What the spec asks (by name) resolved to ids, against what PingOne has, owned
three-way like the application's fields:

- entries the spec declares are enforced (created, or updated when they differ);
- entries never declared are left alone, unless the spec makes the list exclusive;
- entries declared at the last successful sync (status.managedEntries) and since removed go.

Pure: the catalogue (names to ids) and PingOne's entries come in as data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..api import ManagedEntries, PingOneApplicationSpec
from .outcome import Failure

# PingOne's path for each list, and the spec field that declares it.
SPEC_FIELD = {
    "grants": "grants",
    "attributes": "attributeMappings",
    "signOnPolicyAssignments": "signOnPolicies",
    "roleAssignments": "roleAssignments",
}
KINDS = tuple(SPEC_FIELD)


@dataclass(frozen=True)
class Catalogue:
    """What names stand for in one environment (only the parts a spec needs)."""

    resources: dict[str, str] = field(default_factory=dict)  # resource name -> id
    scopes: dict[str, dict[str, str]] = field(default_factory=dict)  # resource id -> scope name -> id
    policies: dict[str, str] = field(default_factory=dict)  # sign-on policy name -> id
    roles: dict[str, str] = field(default_factory=dict)  # role name -> id


@dataclass(frozen=True)
class Wanted:
    key: str  # the spec's name for the entry (status.managedEntries)
    match: tuple[Any, ...]  # how PingOne's entry is recognised
    body: dict[str, Any]  # what to POST or PUT
    value: Any  # what must be equal for the entry to need no update


@dataclass(frozen=True)
class Have:
    id: str
    match: tuple[Any, ...]
    value: Any
    removable: bool  # PingOne's core mappings and read-only assignments cannot be removed


@dataclass(frozen=True)
class Change:
    kind: str
    action: Literal["create", "update", "delete"]
    key: str
    entry_id: str | None = None
    body: dict[str, Any] | None = None

    def describe(self) -> str:
        return f"{self.action} {self.kind}[{self.key}]"


def declared(spec: PingOneApplicationSpec, kind: str) -> bool:
    return getattr(spec, SPEC_FIELD[kind]) is not None


def keys(spec: PingOneApplicationSpec) -> ManagedEntries:
    """The keys the spec declares, as status.managedEntries records them."""
    return ManagedEntries(
        grants=[g.resource for g in spec.grants] if spec.grants is not None else None,
        attributeMappings=[m.name for m in spec.attributeMappings] if spec.attributeMappings is not None else None,
        signOnPolicies=list(spec.signOnPolicies) if spec.signOnPolicies is not None else None,
        roleAssignments=[role_key(r.role, r.scope.type, r.scope.id) for r in spec.roleAssignments]
        if spec.roleAssignments is not None else None,
    )


def role_key(role: str, scope_type: str, scope_id: str) -> str:
    return f"{role}@{scope_type}:{scope_id}"


def needed(spec: PingOneApplicationSpec, before: ManagedEntries | None) -> set[str]:
    """The lists a sync must look at: declared, declared before, or exclusive."""
    exclusive = spec.exclusive
    return {kind for kind in KINDS
            if declared(spec, kind) or getattr(before or ManagedEntries(), SPEC_FIELD[kind])
            or (exclusive and getattr(exclusive, SPEC_FIELD[kind]))}


def wanted(spec: PingOneApplicationSpec, kind: str, catalogue: Catalogue) -> list[Wanted] | Failure:
    """The spec's entries of one list, resolved; an unknown name is a Failure naming it."""
    if kind == "grants":
        result = []
        for n, grant in enumerate(spec.grants or []):
            resource_id = catalogue.resources.get(grant.resource)
            if resource_id is None:
                return _unknown(f"grants[{n}].resource", f"resource {grant.resource!r}")
            scopes = catalogue.scopes.get(resource_id, {})
            missing = [s for s in grant.scopes if s not in scopes]
            if missing:
                return _unknown(f"grants[{n}].scopes", f"scope {missing[0]!r} of resource {grant.resource!r}")
            ids = sorted({scopes[s] for s in grant.scopes})
            result.append(Wanted(grant.resource, (resource_id,),
                                 {"resource": {"id": resource_id}, "scopes": [{"id": i} for i in ids]}, frozenset(ids)))
        return result
    if kind == "attributes":
        return [Wanted(m.name, (m.name,), {"name": m.name, "value": m.value, "required": m.required},
                       (m.value, m.required)) for m in spec.attributeMappings or []]
    if kind == "signOnPolicyAssignments":
        result = []
        for n, name in enumerate(spec.signOnPolicies or []):
            policy_id = catalogue.policies.get(name)
            if policy_id is None:
                return _unknown(f"signOnPolicies[{n}]", f"sign-on policy {name!r}")
            result.append(Wanted(name, (policy_id,), {"signOnPolicy": {"id": policy_id}, "priority": n + 1}, n + 1))
        return result
    result = []
    for n, assignment in enumerate(spec.roleAssignments or []):
        role_id = catalogue.roles.get(assignment.role)
        if role_id is None:
            return _unknown(f"roleAssignments[{n}].role", f"role {assignment.role!r}")
        scope = {"type": assignment.scope.type, "id": assignment.scope.id}
        result.append(Wanted(role_key(assignment.role, scope["type"], scope["id"]),
                             (role_id, scope["type"], scope["id"]), {"role": {"id": role_id}, "scope": scope}, None))
    return result


def have(kind: str, items: list[dict[str, Any]]) -> list[Have]:
    """PingOne's entries of one list, in the terms `wanted` uses."""
    result = []
    for item in items:
        if kind == "grants":
            scopes = frozenset(s.get("id") for s in item.get("scopes") or [])
            result.append(Have(item["id"], ((item.get("resource") or {}).get("id"),), scopes, True))
        elif kind == "attributes":
            result.append(Have(item["id"], (item.get("name"),), (item.get("value"), bool(item.get("required"))),
                               item.get("mappingType", "CUSTOM") == "CUSTOM"))
        elif kind == "signOnPolicyAssignments":
            result.append(Have(item["id"], ((item.get("signOnPolicy") or {}).get("id"),), item.get("priority"), True))
        else:
            scope = item.get("scope") or {}
            result.append(Have(item["id"], ((item.get("role") or {}).get("id"), scope.get("type"), scope.get("id")),
                               None, not item.get("readOnly")))
    return result


def dropped_matches(kind: str, spec: PingOneApplicationSpec, before: ManagedEntries | None,
                    catalogue: Catalogue) -> set[tuple[Any, ...]]:
    """How PingOne would show the entries declared before and no longer: they are removed."""
    previous = getattr(before or ManagedEntries(), SPEC_FIELD[kind]) or []
    now = set(getattr(keys(spec), SPEC_FIELD[kind]) or [])
    result = set()
    for key in previous:
        if key in now:
            continue
        if kind == "grants" and key in catalogue.resources:
            result.add((catalogue.resources[key],))
        elif kind == "attributes":
            result.add((key,))
        elif kind == "signOnPolicyAssignments" and key in catalogue.policies:
            result.add((catalogue.policies[key],))
        elif kind == "roleAssignments":
            role, _, scope = key.partition("@")
            scope_type, _, scope_id = scope.partition(":")
            if role in catalogue.roles:
                result.add((catalogue.roles[role], scope_type, scope_id))
    return result


def changes(kind: str, wanted_: list[Wanted], have_: list[Have], dropped: set[tuple[Any, ...]],
            exclusive: bool) -> list[Change]:
    """Deletes first, then updates, then creates (so priorities and one-per-resource rules hold)."""
    present = {h.match: h for h in have_}
    wanted_matches = {w.match for w in wanted_}
    deletes = [Change(kind, "delete", _label(h), h.id) for h in have_
               if h.match not in wanted_matches and h.removable and (exclusive or h.match in dropped)]
    updates, creates = [], []
    for w in wanted_:
        h = present.get(w.match)
        if h is None:
            creates.append(Change(kind, "create", w.key, None, w.body))
        elif h.value != w.value:
            updates.append(Change(kind, "update", w.key, h.id, w.body))
    return deletes + updates + creates


def _label(have_: Have) -> str:
    return ":".join(str(m) for m in have_.match)


def _unknown(path: str, what: str) -> Failure:
    # Retried slowly: the resource, policy or role may be created any time (e.g. a PingOneResource).
    return Failure("UnknownReference", f"spec.{path}: no {what} in PingOne", retry=True, delay=60)
