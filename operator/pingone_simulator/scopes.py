"""Scopes of a resource (OpenAPI `ResourceScope`).

Sources: Ping docs, "Create Custom resource scope" (name required and unique within the
resource), "Create PingOne access control scope" (on the PingOne API resource only
`p1:read:user:{suffix}` / `p1:update:user:{suffix}` with `schemaAttributes` can be created),
OpenAPI `schemaAttributes` (only the p1 user scopes; `*` alone), "OpenID Connect (OIDC) scopes" and
the offline_access workflow (the openid resource's scopes), "PingOne self-management scopes".
Scope names follow RFC 6749 §3.3 (scope-token characters) [I: Ping states no rule].
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .clock import Clock
from .refusals import invalid, new_id, refused_request, require_object, require_string, restamp, stamp
from .resources import OPENID, PINGONE_API, Resource

OPENID_SCOPES = ("openid", "profile", "email", "address", "phone", "offline_access")
# A documented subset of the PingOne API self-management scopes.
PINGONE_API_SCOPES = ("p1:read:user", "p1:update:user", "p1:update:userMfaEnabled", "p1:create:device",
                      "p1:read:device", "p1:update:device", "p1:delete:device", "p1:reset:userPassword",
                      "p1:read:sessions", "p1:delete:sessions")
USER_SCOPES = ("p1:read:user", "p1:update:user")
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")
_ACCESS_CONTROL = re.compile(r"^p1:(read|update):user:[\x21\x23-\x5B\x5D-\x7E]+$")


def seed(resource: Resource, clock: Clock) -> None:
    names = {OPENID: OPENID_SCOPES, PINGONE_API: PINGONE_API_SCOPES}.get(resource.type, ())
    for name in names:
        scope = _stored(resource, {"name": name}, clock)
        resource.scopes[scope["id"]] = scope
        resource.built_in_scopes.add(scope["id"])


def by_name(resource: Resource, name: str) -> dict[str, Any] | None:
    return next((s for s in resource.scopes.values() if s["name"] == name), None)


def create(resource: Resource, body: Any, clock: Clock) -> dict[str, Any]:
    body = require_object(body)
    if resource.type == PINGONE_API and not _ACCESS_CONTROL.match(require_string(body, "name")):
        raise invalid("INVALID_VALUE", "name", "Only access control scopes (p1:read:user:{suffix} or "
                                               "p1:update:user:{suffix}) can be added to the PingOne API resource.")
    fields = _writable(resource, body)
    if resource.type == PINGONE_API and "schemaAttributes" not in fields:
        raise invalid("REQUIRED_VALUE", "schemaAttributes", "schemaAttributes is required for an access control scope.")
    _check_unique(resource, fields["name"], None)
    scope = _stored(resource, fields, clock)
    resource.scopes[scope["id"]] = scope
    return scope


def replace(resource: Resource, scope: dict[str, Any], body: Any, clock: Clock) -> dict[str, Any]:
    """PUT: full replacement; predefined scopes keep their name and only change what Ping lets change."""
    body = require_object(body)
    if scope["id"] in resource.built_in_scopes:
        fields = _built_in_update(resource, scope, body)
    else:
        fields = _writable(resource, body)
        if resource.type == PINGONE_API and fields["name"] != scope["name"]:
            raise invalid("INVALID_VALUE", "name", "An access control scope cannot be renamed.")
        _check_unique(resource, fields["name"], scope["id"])
    keep = {k: scope[k] for k in ("id", "resource", "environment", "createdAt")}
    scope.clear()
    scope.update({**fields, **keep, "updatedAt": restamp(keep["createdAt"], clock)})
    return scope


def check_deletable(resource: Resource, scope: dict[str, Any]) -> None:
    if scope["id"] in resource.built_in_scopes:
        raise refused_request(f"The predefined scope '{scope['name']}' cannot be deleted.")


def view(scope: dict[str, Any], api_base: str) -> dict[str, Any]:
    env, resource_id = scope["environment"]["id"], scope["resource"]["id"]
    resource_href = f"{api_base}/environments/{env}/resources/{resource_id}"
    links = {"self": {"href": f"{resource_href}/scopes/{scope['id']}"}, "resource": {"href": resource_href},
             "environment": {"href": f"{api_base}/environments/{env}"}}
    return {"_links": links, **copy.deepcopy(scope)}


def _stored(resource: Resource, fields: dict[str, Any], clock: Clock) -> dict[str, Any]:
    now = stamp(clock)
    return {"id": new_id(), **fields, "resource": {"id": resource.id},
            "environment": copy.deepcopy(resource.fields["environment"]), "createdAt": now, "updatedAt": now}


def _check_unique(resource: Resource, name: str, own_id: str | None) -> None:
    if any(s["name"] == name and s["id"] != own_id for s in resource.scopes.values()):
        raise invalid("UNIQUENESS_VIOLATION", "name", f"A scope named '{name}' already exists for this resource.")


def _writable(resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    name = require_string(body, "name")
    if not _SCOPE_TOKEN.match(name):
        raise invalid("INVALID_VALUE", "name", "A scope name must not contain spaces, quotes or backslashes.")
    fields: dict[str, Any] = {"name": name}
    description = require_string(body, "description", required=False)
    if description is not None:
        fields["description"] = description
    if body.get("schemaAttributes") is not None:
        fields["schemaAttributes"] = _schema_attributes(name, body["schemaAttributes"])
    if body.get("mappedClaims") is not None:
        if resource.type == PINGONE_API:
            raise invalid("INVALID_VALUE", "mappedClaims", "mappedClaims does not apply to PingOne API scopes.")
        fields["mappedClaims"] = _strings(body["mappedClaims"], "mappedClaims")
    return fields


def _schema_attributes(name: str, value: Any) -> list[str]:
    if not (name in USER_SCOPES or _ACCESS_CONTROL.match(name)):
        raise invalid("INVALID_VALUE", "schemaAttributes",
                      "schemaAttributes is supported only for the p1:read:user and p1:update:user scopes.")
    attributes = _strings(value, "schemaAttributes")
    if not attributes or ("*" in attributes and len(attributes) > 1):
        raise invalid("INVALID_VALUE", "schemaAttributes",
                      "schemaAttributes must list attributes, or only the wildcard '*'.")
    return attributes


def _strings(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise invalid("INVALID_VALUE", key, f"{key} must be a list of strings.")
    return list(value)


def _built_in_update(resource: Resource, scope: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    name = scope["name"]
    if body.get("name", name) != name:
        raise invalid("INVALID_VALUE", "name", f"The predefined scope '{name}' cannot be renamed.")
    if resource.type == OPENID and name != "openid":
        # Terraform's pingone_resource_scope_openid overrides the mapped claims of e.g. `profile`.
        return _writable(resource, {**body, "name": name})
    if resource.type == PINGONE_API and name in USER_SCOPES:
        fields: dict[str, Any] = {"name": name}
        if body.get("schemaAttributes") is not None:
            fields["schemaAttributes"] = _schema_attributes(name, body["schemaAttributes"])
        return fields
    raise refused_request(f"The predefined scope '{name}' is read-only.")

