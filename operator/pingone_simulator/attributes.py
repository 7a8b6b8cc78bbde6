"""Attribute mappings of an OIDC application (OpenAPI `ApplicationAttributeMapping`).

Sources: OpenAPI (`name`, `value`, `required` required; reserved OIDC names; `${user.<path>}` with
`user` the only source; `idToken`/`userInfo` default true and not both false; `oidcScopes` only
granted scope IDs and never empty; `EnumAttributeMappingType`: CORE and SCOPE mappings "cannot be
removed", their values can be updated). Terraform `pingone_application_core_attribute_mapping`:
every OIDC application has the CORE `sub` mapping, and when it is overridden `required` must be true.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .clock import Clock
from .refusals import (invalid, new_id, refused_request, require_bool, require_object, require_string, restamp,
                       stamp)

RESERVED = {"acr", "amr", "at_hash", "aud", "auth_time", "azp", "client_id", "exp", "iat", "iss", "jti", "nbf",
            "nonce", "org", "scope", "sid", "sub"}
CORE_NAME, CORE_VALUE = "sub", "${user.id}"  # the value is PingOne's default [I: Terraform docs show ${user.id}]
_EXPRESSION = re.compile(r"\$\{([^}]*)\}")


def seed(mappings: dict[str, dict[str, Any]], app_id: str, clock: Clock) -> None:
    now = stamp(clock)
    core = {"id": new_id(), "application": {"id": app_id}, "name": CORE_NAME, "value": CORE_VALUE, "required": True,
            "mappingType": "CORE", "idToken": True, "userInfo": True, "createdAt": now, "updatedAt": now}
    mappings[core["id"]] = core


def create(mappings: dict[str, dict[str, Any]], app_id: str, granted_scopes: set[str], body: Any,
           clock: Clock) -> dict[str, Any]:
    fields = _writable(require_object(body), granted_scopes)
    if fields["name"] in RESERVED:
        raise invalid("INVALID_VALUE", "name", f"The attribute name '{fields['name']}' is reserved.")
    _check_unique(mappings, fields["name"], None)
    now = stamp(clock)
    mapping = {"id": new_id(), "application": {"id": app_id}, **fields, "mappingType": "CUSTOM",
               "createdAt": now, "updatedAt": now}
    mappings[mapping["id"]] = mapping
    return mapping


def replace(mappings: dict[str, dict[str, Any]], mapping: dict[str, Any], granted_scopes: set[str], body: Any,
            clock: Clock) -> dict[str, Any]:
    """PUT: full replacement. A CORE mapping keeps its name and stays required."""
    fields = _writable(require_object(body), granted_scopes)
    if mapping["mappingType"] != "CUSTOM":
        if fields["name"] != mapping["name"]:
            raise invalid("INVALID_VALUE", "name", f"The core attribute '{mapping['name']}' cannot be renamed.")
        if not fields["required"]:
            raise invalid("INVALID_VALUE", "required", "A core attribute mapping must be required.")
    elif fields["name"] in RESERVED:
        raise invalid("INVALID_VALUE", "name", f"The attribute name '{fields['name']}' is reserved.")
    _check_unique(mappings, fields["name"], mapping["id"])
    keep = {k: mapping[k] for k in ("id", "application", "mappingType", "createdAt")}
    previous = mapping["updatedAt"]
    mapping.clear()
    mapping.update({**keep, **fields, "updatedAt": restamp(previous, clock)})
    return mapping


def check_deletable(mapping: dict[str, Any]) -> None:
    if mapping["mappingType"] != "CUSTOM":
        raise refused_request(f"The {mapping['mappingType']} attribute mapping '{mapping['name']}' cannot be deleted.")


def view(mapping: dict[str, Any], api_base: str, env_id: str) -> dict[str, Any]:
    app_href = f"{api_base}/environments/{env_id}/applications/{mapping['application']['id']}"
    links = {"self": {"href": f"{app_href}/attributes/{mapping['id']}"}, "application": {"href": app_href}}
    return {"_links": links, **copy.deepcopy(mapping)}


def _check_unique(mappings: dict[str, dict[str, Any]], name: str, own_id: str | None) -> None:
    if any(m["name"] == name and m["id"] != own_id for m in mappings.values()):
        raise invalid("UNIQUENESS_VIOLATION", "name", f"An attribute mapping named '{name}' already exists.")


def _writable(body: dict[str, Any], granted_scopes: set[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": require_string(body, "name"), "value": _value(body),
                              "required": require_bool(body, "required")}
    fields["idToken"] = require_bool(body, "idToken", default=True)
    fields["userInfo"] = require_bool(body, "userInfo", default=True)
    if not fields["idToken"] and not fields["userInfo"]:
        raise invalid("INVALID_VALUE", "idToken", "idToken and userInfo cannot both be false.")
    scopes = body.get("oidcScopes")
    if scopes is not None:  # null is accepted for backwards compatibility (OpenAPI)
        if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
            raise invalid("INVALID_VALUE", "oidcScopes", "oidcScopes must list at least one scope ID.")
        if not set(scopes) <= granted_scopes:
            raise invalid("INVALID_VALUE", "oidcScopes",
                          "oidcScopes may only contain scopes granted to the application through /grants.")
        fields["oidcScopes"] = list(dict.fromkeys(scopes))
    return fields


def _value(body: dict[str, Any]) -> str:
    value = require_string(body, "value")
    inner = _EXPRESSION.findall(value)
    if value.count("${") != len(inner) or any(not e.strip().startswith("user.") for e in inner):
        raise invalid("INVALID_VALUE", "value",
                      "Expressions must have the form ${user.<attribute_path>}; user is the only source.")
    return value
