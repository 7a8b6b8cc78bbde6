"""PingOne's built-in admin roles and the role assignments an application holds.

Assignments follow the OpenAPI `RoleAssignment` schema: `{id, role: {id}, scope: {id, type},
environment: {id}, readOnly}`. Role names come from the OpenAPI's `EnumRoleName`; PingOne's real
role IDs are not in the sources, so the simulator derives stable ones from the names [I].
Who may assign what is in role_rules.py.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

_NAMESPACE = uuid.UUID("6f1c2c58-9a0e-4c61-9d1e-5b7a1f0c2d41")
ORG, ENV, POP, APP = "ORGANIZATION", "ENVIRONMENT", "POPULATION", "APPLICATION"
# name -> the scope types it applies to (OpenAPI `Role.applicableTo`). Ping docs, "Create an admin
# Worker app": Environment Admin may be assigned at the organization level; Terraform's examples
# scope Identity Data Admin to a population. The other sets are inferred from the role names [I].
APPLICABLE_TO: dict[str, tuple[str, ...]] = {
    "Organization Admin": (ORG,),
    "Environment Admin": (ORG, ENV),
    "Identity Data Admin": (ENV, POP),
    "Identity Data Read Only": (ENV, POP),
    "Help Desk Admin": (ENV, POP),
    "Client Application Developer": (ENV,),
    "Configuration Read Only": (ENV,),
    "Application Owner": (APP,),
    "Custom Roles Admin": (ENV,),
    "DaVinci Admin": (ENV,),
    "DaVinci Admin Read Only": (ENV,),
}
ROLE_NAMES = list(APPLICABLE_TO)
# name -> id; the same in every simulator run, so tests can hard-code them.
ROLES: dict[str, str] = {name: str(uuid.uuid5(_NAMESPACE, name)) for name in ROLE_NAMES}
ROLE_NAMES_BY_ID = {role_id: name for name, role_id in ROLES.items()}
# What a seeded worker holds: enough to manage applications in its environment.
DEFAULT_WORKER_ROLES = ("Environment Admin", "Identity Data Admin")


def role_id(name_or_id: str) -> str:
    """The ID of a catalogued role given its name or ID; ValueError otherwise."""
    if name_or_id in ROLES:
        return ROLES[name_or_id]
    if name_or_id in ROLE_NAMES_BY_ID:
        return name_or_id
    raise ValueError(f"unknown role {name_or_id!r}; known: {ROLE_NAMES}")


def default_scope(role: str, env_id: str, org_id: str, app_id: str) -> dict[str, str]:
    """Where a seeded role applies: the environment when it can, else the organization, else the app [I]."""
    applicable = APPLICABLE_TO[ROLE_NAMES_BY_ID[role_id(role)]]
    if ENV in applicable:
        return {"id": env_id, "type": ENV}
    if ORG in applicable:
        return {"id": org_id, "type": ORG}
    return {"id": app_id, "type": APP}


def assignment(role: str, env_id: str, scope_env_id: str | None = None,
               scope: dict[str, str] | None = None) -> dict[str, Any]:
    """A role assignment of an application in `env_id`, scoped to `scope` (default: an environment)."""
    return {"id": str(uuid.uuid4()), "role": {"id": role_id(role)},
            "scope": dict(scope) if scope else {"id": scope_env_id or env_id, "type": ENV},
            "environment": {"id": env_id}, "readOnly": False}


def inherit(actor_assignments: list[dict[str, Any]], env_id: str) -> list[dict[str, Any]]:
    """Copies of the actor's assignments for a new application: same roles and scopes, new IDs.

    Ping: a WORKER created through the API "inherits the same role assignments as the actor that
    created the application"; scopes may point at other environments, so they are kept as they are.
    """
    return [{**copy.deepcopy(a), "id": str(uuid.uuid4()), "environment": {"id": env_id}}
            for a in actor_assignments]


def assignment_view(item: dict[str, Any], api_base: str, app_id: str, read_only: bool | None = None) -> dict[str, Any]:
    """The API form of an assignment: the stored object plus HAL links (and readOnly for the caller)."""
    env = item["environment"]["id"]
    links = {"self": {"href": f"{api_base}/environments/{env}/applications/{app_id}/roleAssignments/{item['id']}"},
             "environment": {"href": f"{api_base}/environments/{env}"},
             "role": {"href": f"{api_base}/roles/{item['role']['id']}"}}
    body = {"_links": links, **copy.deepcopy(item)}
    if read_only is not None:
        body["readOnly"] = read_only
    return body


def role_view(name: str, api_base: str) -> dict[str, Any]:
    """OpenAPI `Role`; permissions are not simulated [I]."""
    rid = ROLES[name]
    return {"_links": {"self": {"href": f"{api_base}/roles/{rid}"}}, "id": rid, "name": name,
            "description": f"The built-in {name} role.", "applicableTo": list(APPLICABLE_TO[name])}
