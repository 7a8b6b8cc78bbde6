"""Protected resources of an environment: the built-in `openid` and `PingOne API` resources, and
custom ones (OpenAPI `Resource`). Their scopes live in scopes.py.

Sources: OpenAPI `Resource` / `EnumResourceType` ("Only the CUSTOM resource type can be created"),
`audience` ("must not contain pingone or pingidentity ... If a URL is not specified, the resource
name is used"), `accessTokenValiditySeconds` (default 3600, 300 to 2592000), name unique in the
environment. Ping docs, "Resource scopes": every environment has the two built-in resources.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .refusals import invalid, new_id, refused_request, require_object, require_string, restamp, stamp

OPENID, PINGONE_API, CUSTOM = "OPENID_CONNECT", "PINGONE_API", "CUSTOM"
TYPES = (OPENID, PINGONE_API, CUSTOM)
INTROSPECT_METHODS = ("NONE", "CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST")
MIN_VALIDITY, DEFAULT_VALIDITY, MAX_VALIDITY = 300, 3600, 2592000
BUILT_IN_NAMES = {OPENID: "openid", PINGONE_API: "PingOne API"}  # names used by Ping's docs and Terraform


@dataclass(eq=False)  # identity: resources are compared and hashed as objects
class Resource:
    """`fields` is the stored JSON minus `_links`; `scopes` maps scope id -> stored scope."""

    fields: dict[str, Any]
    scopes: dict[str, dict[str, Any]] = field(default_factory=dict)
    built_in_scopes: set[str] = field(default_factory=set)  # ids of the scopes PingOne predefines

    @property
    def id(self) -> str:
        return self.fields["id"]

    @property
    def type(self) -> str:
        return self.fields["type"]

    @property
    def built_in(self) -> bool:
        return self.type != CUSTOM

    def audience(self, api_base: str) -> str | None:
        # PingOne API tokens are for the API host itself (Ping docs: "PingOne API (https://api.pingone.com)").
        return api_base.removesuffix("/v1") if self.type == PINGONE_API else self.fields.get("audience")


def built_in(env_id: str, kind: str, clock: Clock) -> Resource:
    now = stamp(clock)
    fields = {"id": new_id(), "environment": {"id": env_id}, "name": BUILT_IN_NAMES[kind], "type": kind,
              "accessTokenValiditySeconds": DEFAULT_VALIDITY, "createdAt": now, "updatedAt": now}
    return Resource(fields)


def check_unique(resources: dict[str, Resource], name: str, own_id: str | None) -> None:
    if any(r.fields["name"] == name and r.id != own_id for r in resources.values()):
        raise invalid("UNIQUENESS_VIOLATION", "name", f"A resource with the name '{name}' already exists.")


def create(resources: dict[str, Resource], env_id: str, body: Any, clock: Clock) -> Resource:
    body = require_object(body)
    if "clientId" in body or "clientSecret" in body:
        # Importing resource credentials needs an environment feature flag (OpenAPI `clientId`).
        raise invalid("INVALID_VALUE", "clientId", "Importing resources with a client ID and secret is not enabled.")
    kind = body.get("type", CUSTOM)
    if kind != CUSTOM:
        raise invalid("INVALID_VALUE", "type", "Only the CUSTOM resource type can be created.")
    fields = _writable(body)
    check_unique(resources, fields["name"], None)
    now = stamp(clock)
    fields = {"id": new_id(), "environment": {"id": env_id}, **fields, "type": CUSTOM, "createdAt": now,
              "updatedAt": now}
    resource = Resource(fields)
    resources[resource.id] = resource
    return resource


def replace(resources: dict[str, Resource], resource: Resource, body: Any, clock: Clock) -> Resource:
    """PUT is a full replacement: what the body leaves out goes back to its default [I, pitfalls §2]."""
    body = require_object(body)
    if body.get("type", resource.type) != resource.type:
        raise invalid("INVALID_VALUE", "type", "The type of a resource cannot be changed.")
    if resource.built_in:
        fields = _built_in_update(resource, body)
    else:
        fields = _writable(body)
        check_unique(resources, fields["name"], resource.id)
    keep = {k: resource.fields[k] for k in ("id", "environment", "type", "createdAt")}
    resource.fields = {"id": keep.pop("id"), "environment": keep.pop("environment"), **fields, **keep,
                       "updatedAt": restamp(resource.fields["updatedAt"], clock)}
    return resource


def check_deletable(resource: Resource) -> None:
    if resource.built_in:
        raise refused_request(f"The built-in resource '{resource.fields['name']}' cannot be deleted.")


def view(resource: Resource, api_base: str, *, links: bool = True) -> dict[str, Any]:
    body = copy.deepcopy(resource.fields)
    audience = resource.audience(api_base)
    if audience is not None:
        body["audience"] = audience
    if not links:
        return body
    env = body["environment"]["id"]
    self_href = f"{api_base}/environments/{env}/resources/{resource.id}"
    return {"_links": {"self": {"href": self_href}, "environment": {"href": f"{api_base}/environments/{env}"},
                       "scopes": {"href": f"{self_href}/scopes"}}, **body}


def _writable(body: dict[str, Any]) -> dict[str, Any]:
    name = require_string(body, "name")
    fields: dict[str, Any] = {"name": name}
    description = require_string(body, "description", required=False)
    if description is not None:
        fields["description"] = description
    fields["audience"] = _audience(body, name)
    fields["accessTokenValiditySeconds"] = _validity(body)
    method = body.get("introspectEndpointAuthMethod", "CLIENT_SECRET_BASIC")  # default: [I]
    if method not in INTROSPECT_METHODS:
        raise invalid("INVALID_VALUE", "introspectEndpointAuthMethod",
                      f"introspectEndpointAuthMethod must be one of {', '.join(INTROSPECT_METHODS)}.")
    fields["introspectEndpointAuthMethod"] = method
    settings = body.get("applicationPermissionsSettings")
    if settings is not None:
        if not isinstance(settings, dict) or not isinstance(settings.get("claimEnabled", False), bool):
            raise invalid("INVALID_VALUE", "applicationPermissionsSettings.claimEnabled",
                          "applicationPermissionsSettings.claimEnabled must be a boolean.")
        fields["applicationPermissionsSettings"] = {"claimEnabled": settings.get("claimEnabled", False)}
    return fields


def _audience(body: dict[str, Any], name: str) -> str:
    audience = require_string(body, "audience", required=False)
    if audience is None:
        return name  # OpenAPI: "If a URL is not specified, the resource name is used."
    lowered = audience.lower()
    if "#" in audience or "pingone" in lowered or "pingidentity" in lowered:
        raise invalid("INVALID_VALUE", "audience",
                      "audience must be a URL without a fragment and must not contain 'pingone' or 'pingidentity'.")
    return audience


def _validity(body: dict[str, Any]) -> int:
    value = body.get("accessTokenValiditySeconds")
    if value is None:
        return DEFAULT_VALIDITY
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_VALIDITY <= value <= MAX_VALIDITY:
        raise invalid("INVALID_VALUE", "accessTokenValiditySeconds",
                      f"accessTokenValiditySeconds must be an integer from {MIN_VALIDITY} to {MAX_VALIDITY}.")
    return value


def _built_in_update(resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """Built-in resources keep their name; description and token lifetime may change, and a sent
    `audience` is ignored (what a GET returned can be PUT back) [I]."""
    name = resource.fields["name"]
    if body.get("name", name) != name:
        raise invalid("INVALID_VALUE", "name", f"The built-in resource '{name}' cannot be renamed.")
    fields: dict[str, Any] = {"name": name, "accessTokenValiditySeconds": _validity(body)}
    description = require_string(body, "description", required=False)
    if description is not None:
        fields["description"] = description
    return fields
