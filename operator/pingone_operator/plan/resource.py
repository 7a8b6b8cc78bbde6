"""What one sync of a PingOneResource decides about PingOne's resource itself: the POST and PUT
bodies (three-way ownership, as for applications: plan/fields.py), that built-in resources are
never touched, and the status a sync ends with. Its scopes are plan/scopes.py's."""

from __future__ import annotations

from typing import Any

from ..api.resource import BUILT_IN_NAMES, CHILD_FIELDS, DEFAULT_TOKEN_SECONDS, OPERATOR_FIELDS, PingOneResourceSpec
from . import sync
from .fields import Defaults, field_paths
from .outcome import Failure, Resource

CUSTOM = "CUSTOM"  # OpenAPI EnumResourceType: "Only the CUSTOM resource type can be created"


def declared(spec: PingOneResourceSpec) -> dict[str, Any]:
    """The resource fields the user wrote, and nothing the model would default."""
    return spec.model_dump(mode="json", exclude_unset=True, exclude_none=True,
                           exclude=set(OPERATOR_FIELDS) | set(CHILD_FIELDS))


def defaults(spec: PingOneResourceSpec) -> Defaults:
    """PingOne's own: the token lifetime is 3600 s, and "if a URL is not specified, the resource
    name is used" as the audience. A description that leaves the spec is cleared."""
    own = {"accessTokenValiditySeconds": DEFAULT_TOKEN_SECONDS, "audience": spec.name}
    return Defaults(reset=own, absent=own)


def create_body(spec: PingOneResourceSpec) -> dict[str, Any]:
    return {**declared(spec), "type": CUSTOM}


def protects(found: dict[str, Any]) -> Failure | None:
    """PingOne's built-in resources (`openid`, `PingOne API`) are never managed, whatever led to them."""
    if found.get("type", CUSTOM) != CUSTOM or found.get("name") in BUILT_IN_NAMES:
        return Failure("ProtectedResource", f"{found.get('name')!r} is one of PingOne's built-in resources "
                       f"({found.get('type')}); only CUSTOM resources can be managed", retry=False)
    return None


def update(resource: Resource, found: dict[str, Any], *, drift_check: bool) -> sync.Update:
    spec = resource.spec
    return sync.update(resource, found, drift_check=drift_check, declared=declared(spec), defaults=defaults(spec))


def synced(resource: Resource, status: Any, found: dict[str, Any], env: str, drifted: list[str]) -> Any:
    """The status of a sync that got through: identity, what was declared, conditions."""
    watching = sync.observe_only(resource)
    updates: dict[str, Any] = dict(
        resourceId=found["id"], updatedAt=found.get("updatedAt"), environmentId=env,
        observedGeneration=resource.generation, driftedFields=drifted if (drifted and watching) else None,
        pendingCreate=None,
    )
    if not watching:
        updates["managedFields"] = field_paths(declared(resource.spec))
        scopes = resource.spec.scopes
        updates["managedScopes"] = sorted(s.name for s in scopes) if scopes else None
    updates["conditions"] = sync.synced_conditions(resource, status, drifted,
                                                   "resource and its declared scopes exist in PingOne")
    return status.model_copy(update=updates)
