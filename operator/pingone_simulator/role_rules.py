"""Who may assign which role where, and the checks on a new application role assignment.

Sources: Ping docs, "Roles Management": "you cannot assign roles that you do not have yourself",
except "the read-only variants of built-in roles that are assigned to you"; "Built-in Admin Roles":
the Can Assign table; roles are assigned to worker apps, and DaVinci roles cannot be. Terraform
provider issue 401: a duplicate (or an environment-scoped copy of an organization-scoped role) is
400 INVALID_DATA / UNIQUENESS_VIOLATION "May not assign duplicate Role" on `role`. OpenAPI
`RoleAssignment.readOnly`: "whether this role assignment can be deleted by the current actor".
The two Ping pages disagree on Organization Admin (the table lets it assign Environment Admin, which
it does not hold): the stricter "hold it yourself" rule is applied [I]. A refusal is 403 [I].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .refusals import forbidden, invalid, reference_id, refused_request
from .roles import APP, APPLICABLE_TO, ENV, ORG, POP, ROLE_NAMES, ROLE_NAMES_BY_ID, assignment

# Which built-in role's read-only variant is which (Configuration Read Only for Environment Admin: [I]).
READ_ONLY_VARIANT = {"Identity Data Admin": "Identity Data Read Only", "DaVinci Admin": "DaVinci Admin Read Only",
                     "Environment Admin": "Configuration Read Only"}
CAN_ASSIGN: dict[str, set[str]] = {
    "Organization Admin": {"Environment Admin"},
    "Environment Admin": set(ROLE_NAMES) - {"Organization Admin"},
    "Identity Data Admin": {"Identity Data Admin", "Identity Data Read Only", "Help Desk Admin"},
    "DaVinci Admin": {"DaVinci Admin", "DaVinci Admin Read Only"},
}
NOT_FOR_WORKERS = {"DaVinci Admin", "DaVinci Admin Read Only"}
SCOPE_TYPES = (ORG, ENV, POP, APP)


@dataclass(frozen=True)
class Place:
    """Where an assignment is made: the path's environment, the organization, what exists there."""

    env_id: str
    org_id: str
    env_ids: frozenset[str]
    app_ids: frozenset[str]  # applications of env_id


def covers(held: dict[str, str], target: dict[str, str], place: Place) -> bool:
    """Whether a held assignment's scope includes the target scope."""
    if held["type"] == ORG:
        return held["id"] == place.org_id  # the simulator has one organization holding every environment
    if held["type"] == ENV:
        if target["type"] == ENV:
            return target["id"] == held["id"]
        # Populations are not simulated: one is taken to be in the environment it is assigned in [I].
        return target["type"] in (POP, APP) and held["id"] == place.env_id
    return held == {"id": target["id"], "type": target["type"]}


def may_assign(actor_assignments: list[dict[str, Any]], role_name: str, scope: dict[str, str], place: Place) -> bool:
    held = {ROLE_NAMES_BY_ID.get(a["role"]["id"]) for a in actor_assignments if covers(a["scope"], scope, place)}
    holds = role_name in held or any(READ_ONLY_VARIANT.get(h) == role_name for h in held)
    return holds and any(role_name in CAN_ASSIGN.get(h, set()) for h in held)


def new_assignment(body: dict[str, Any], target_app: dict[str, Any], existing: list[dict[str, Any]],
                   actor_assignments: list[dict[str, Any]], place: Place) -> dict[str, Any]:
    """Validate a POST body; return the stored assignment (without adding it)."""
    rid = reference_id(body, "role")
    name = ROLE_NAMES_BY_ID.get(rid)
    if name is None:
        raise invalid("INVALID_VALUE", "role.id", "The role does not exist.")
    scope = _scope(body, name, place)
    if target_app.get("type") != "WORKER":
        raise refused_request("Admin roles can only be assigned to worker applications.")
    if name in NOT_FOR_WORKERS:
        raise invalid("INVALID_VALUE", "role.id", f"The {name} role cannot be assigned to a worker application.")
    if not may_assign(actor_assignments, name, scope, place):
        raise forbidden(f"The actor may not assign the {name} role to this scope.")
    if any(a["role"]["id"] == rid and covers(a["scope"], scope, place) for a in existing):
        raise invalid("UNIQUENESS_VIOLATION", "role", "May not assign duplicate Role")
    return assignment(name, place.env_id, scope=scope)


def _scope(body: dict[str, Any], role_name: str, place: Place) -> dict[str, str]:
    scope = body.get("scope")
    if not isinstance(scope, dict):
        raise invalid("REQUIRED_VALUE", "scope", "scope is required.")
    scope_id, scope_type = scope.get("id"), scope.get("type")
    if not isinstance(scope_id, str) or not scope_id:
        raise invalid("REQUIRED_VALUE", "scope.id", "scope.id is required.")
    if scope_type not in SCOPE_TYPES:
        raise invalid("INVALID_VALUE", "scope.type", f"scope.type must be one of {', '.join(SCOPE_TYPES)}.")
    if scope_type not in APPLICABLE_TO[role_name]:
        raise invalid("INVALID_VALUE", "scope.type", f"The {role_name} role cannot be scoped to {scope_type}.")
    known = {ORG: {place.org_id}, ENV: place.env_ids, APP: place.app_ids}.get(scope_type)
    if known is not None and scope_id not in known:
        raise invalid("INVALID_VALUE", "scope.id", f"No {scope_type.lower()} has the ID {scope_id!r}.")
    return {"id": scope_id, "type": scope_type}
