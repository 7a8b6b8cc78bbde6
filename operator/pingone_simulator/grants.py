"""Resource access grants of an application (OpenAPI `ApplicationResourceGrant`).

Sources: OpenAPI (`resource.id` and `scopes[].id` required); Ping docs, "Create Grant" ("Worker
apps that have the client_credentials grant type do not support OIDC scopes") and "Update Grant"
("The resource.id ... must be the same resource.id as that associated with the specified grant").
One grant per resource per application, scopes belonging to the granted resource and at least one
scope are inferred [I] (Terraform updates the existing grant of a resource instead of adding one).
"""

from __future__ import annotations

import copy
from typing import Any

from .clock import Clock
from .refusals import invalid, new_id, reference_id, require_object, restamp, stamp
from .resources import OPENID, Resource


def create(grants: dict[str, dict[str, Any]], app: dict[str, Any], resources: dict[str, Resource],
           body: Any, clock: Clock) -> dict[str, Any]:
    """`app` is the application's stored fields."""
    body = require_object(body)
    resource, scope_ids = _parse(app, resources, body)
    if any(g["resource"]["id"] == resource.id for g in grants.values()):
        raise invalid("UNIQUENESS_VIOLATION", "resource.id",
                      f"The application already has a grant for the resource '{resource.fields['name']}'.")
    now = stamp(clock)
    grant = {"id": new_id(), "application": {"id": app["id"]}, "resource": {"id": resource.id},
             "scopes": [{"id": s} for s in scope_ids], "createdAt": now, "updatedAt": now}
    grants[grant["id"]] = grant
    return grant


def replace(grant: dict[str, Any], app: dict[str, Any], resources: dict[str, Resource], body: Any,
            clock: Clock) -> dict[str, Any]:
    body = require_object(body)
    if reference_id(body, "resource") != grant["resource"]["id"]:
        raise invalid("INVALID_VALUE", "resource.id", "resource.id must be the resource of this grant.")
    _, scope_ids = _parse(app, resources, body)
    grant["scopes"] = [{"id": s} for s in scope_ids]
    grant["updatedAt"] = restamp(grant["updatedAt"], clock)
    return grant


def forget(grants: dict[str, dict[str, Any]], *, resource_id: str | None = None, scope_id: str | None = None) -> None:
    """Drop what a deleted resource or scope leaves behind; a grant left without scopes goes too [I]."""
    for grant_id, grant in list(grants.items()):
        grant["scopes"] = [s for s in grant["scopes"] if s["id"] != scope_id]
        if grant["resource"]["id"] == resource_id or not grant["scopes"]:
            del grants[grant_id]


def view(grant: dict[str, Any], api_base: str, env_id: str) -> dict[str, Any]:
    app_href = f"{api_base}/environments/{env_id}/applications/{grant['application']['id']}"
    links = {"self": {"href": f"{app_href}/grants/{grant['id']}"}, "application": {"href": app_href},
             "resource": {"href": f"{api_base}/environments/{env_id}/resources/{grant['resource']['id']}"}}
    return {"_links": links, **copy.deepcopy(grant)}


def _parse(app: dict[str, Any], resources: dict[str, Resource], body: dict[str, Any]) -> tuple[Resource, list[str]]:
    resource = resources.get(reference_id(body, "resource"))
    if resource is None:
        raise invalid("INVALID_VALUE", "resource.id", "The resource does not exist in this environment.")
    if resource.type == OPENID and app.get("type") == "WORKER" and "CLIENT_CREDENTIALS" in app.get("grantTypes", []):
        raise invalid("INVALID_VALUE", "resource.id",
                      "Worker applications with the client_credentials grant type do not support OIDC scopes.")
    scopes = body.get("scopes")
    if scopes is None:
        raise invalid("REQUIRED_VALUE", "scopes", "scopes is required.")
    if not isinstance(scopes, list) or not scopes:
        raise invalid("INVALID_VALUE", "scopes", "scopes must list at least one scope.")
    ids: list[str] = []
    for n, item in enumerate(scopes):
        scope_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(scope_id, str) or scope_id not in resource.scopes:
            raise invalid("INVALID_VALUE", f"scopes[{n}].id", "Each scope must be a scope of the granted resource.")
        if scope_id not in ids:
            ids.append(scope_id)
    return resource, ids
