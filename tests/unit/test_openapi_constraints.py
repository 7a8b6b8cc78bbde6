"""The CRD's PingOne fields carry PingOne's own constraints, as its OpenAPI description states them.

The PingOneApplication spec schema is walked side by side with `ApplicationOIDC` (its `allOf`
parents and `$ref`s resolved) from `management.yaml`. For every property both have, `type`,
`enum`, `minimum`, `maximum` and `maxItems` must agree, and `minLength`, `maxLength`, `minItems`
and `pattern` too where the OpenAPI gives them. Properties only one side has are differences as
well, except the ones PingOne marks `readOnly` (server-managed: they must not be in the spec).

A difference is fixed in the pydantic model or listed in ALLOWED with its reason. A CRD bound
looser than PingOne's is a bug (the API server would accept what PingOne then rejects), so an
allow-listed bound must be the tighter one.
"""

from __future__ import annotations

from typing import Any

from pingone_operator.api.crd import crd
from pingone_operator.api import OPERATOR_FIELDS
from tests.contract import openapi

COMPARED = ("type", "enum", "minimum", "maximum", "maxItems")
COMPARED_IF_OPENAPI_HAS = ("minLength", "maxLength", "minItems", "pattern")
LOWER = ("minimum", "minLength", "minItems")
UPPER = ("maximum", "maxLength", "maxItems")
PRESENCE = "property"  # the keyword of a difference "only one side has this property"

# (path, keyword): why the CRD differs from the OpenAPI on purpose. Keep it short.
ALLOWED: dict[tuple[str, str], str] = {
    # The operator manages OIDC applications only.
    ("type", "enum"): "only the OIDC application types; PingOne's list also has SAML, portal and console types",
    ("protocol", "enum"): "OPENID_CONNECT only",
    # The API server estimates the cost of CEL rules (and of validating lists) from their bounds;
    # PingOne gives none for these lists.
    ("grantTypes", "maxItems"): "bounded for CEL cost: the 7 grant types, each once",
    ("responseTypes", "maxItems"): "the 3 response types, each once",
    ("tags", "maxItems"): "the one tag PingOne knows",
    ("redirectUris", "maxItems"): "bounded for CEL cost: SPEC_RULES walk every redirect URI",
    ("accessControl.group.groups", "maxItems"): "bounded for validation cost",
    # kopf copies the spec into an annotation, which the largest spec must fit (test_crd_size.py).
    ("postLogoutRedirectUris", "maxItems"): "kopf annotation budget: 25, about one per site",
    # The OpenAPI states these bounds in the description only ("Valid values are between ...").
    ("refreshTokenRollingDuration", "minimum"): "PingOne's description: between 60 and 2147483647",
    ("refreshTokenRollingGracePeriodDuration", "minimum"): "PingOne's description: between 0 and 86400",
    ("mobile.passcodeGracePeriod", "minimum"): "PingOne's description: min 1, max 10",
    ("mobile.passcodeGracePeriod", "maximum"): "PingOne's description: min 1, max 10",
    ("mobile.integrityDetection.cacheDuration.amount", "minimum"): "PingOne's description: 1 minute to 48 hours",
    ("mobile.integrityDetection.cacheDuration.amount", "maximum"): "PingOne's description: 1 minute to 48 hours",
    # Not in the spec on purpose.
    ("clientId", PRESENCE): "POST only, behind an environment feature flag for importing applications",
    ("template", PRESENCE): "Integration Catalog applications, not plain OIDC ones",
}


def _schemas() -> dict[str, Any]:
    return openapi()["components"]["schemas"]


def resolved(node: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI schema with `$ref` followed and its `allOf` parts merged into one node."""
    while "$ref" in node:
        target = _schemas()[node["$ref"].rsplit("/", 1)[-1]]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    merged = {k: v for k, v in node.items() if k != "allOf"}
    for part in map(resolved, node.get("allOf", [])):
        properties = {**merged.get("properties", {}), **part.get("properties", {})}
        merged.update(part)
        merged["properties"] = properties
    return merged


def application_oidc() -> dict[str, Any]:
    return resolved(_schemas()["ApplicationOIDC"])


def read_only_properties(node: dict[str, Any] | None = None, path: str = "") -> list[str]:
    """Paths of the properties the OpenAPI marks readOnly in ApplicationOIDC (nested ones too)."""
    node = application_oidc() if node is None else node
    found = []
    for name, child in node.get("properties", {}).items():
        child, child_path = resolved(child), f"{path}{name}"
        if child.get("readOnly"):
            found.append(child_path)
        found += read_only_properties(child, child_path + ".")
    return sorted(found)


def spec_paths(node: dict[str, Any], path: str = "") -> set[str]:
    """Dotted paths of every property in a CRD schema."""
    found = set()
    for name, child in node.get("properties", {}).items():
        found |= {path + name} | spec_paths(child, f"{path}{name}.")
    return found


def crd_spec() -> dict[str, Any]:
    """The CRD's spec schema without the operator's own fields (PingOne has no such fields)."""
    spec = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    properties = {k: v for k, v in spec["properties"].items() if k not in OPERATOR_FIELDS}
    return {**spec, "properties": properties}


def differences(oas: dict[str, Any], ours: dict[str, Any], path: str = "") -> dict[tuple[str, str], tuple]:
    """(path, keyword) -> (CRD value, OpenAPI value), for every difference under these two schemas."""
    oas = resolved(oas)
    found: dict[tuple[str, str], tuple] = {}
    where = path or "<spec>"
    for keyword in COMPARED + tuple(k for k in COMPARED_IF_OPENAPI_HAS if k in oas):
        mine, theirs = ours.get(keyword), oas.get(keyword)
        if keyword == "enum" and mine and theirs:
            mine, theirs = sorted(mine), sorted(theirs)  # order does not matter
        if mine != theirs:
            found[(where, keyword)] = (mine, theirs)
    their_props, our_props = oas.get("properties", {}), ours.get("properties", {})
    for name in sorted(their_props.keys() | our_props.keys()):
        child_path = f"{path}.{name}" if path else name
        if name not in our_props:
            if not resolved(their_props[name]).get("readOnly"):  # server-managed: rightly absent
                found[(child_path, PRESENCE)] = (None, "present")
        elif name not in their_props:
            found[(child_path, PRESENCE)] = ("present", None)
        else:
            found |= differences(their_props[name], our_props[name], child_path)
    if "items" in oas and "items" in ours:
        found |= differences(oas["items"], ours["items"], f"{where}[]")
    return found


def crd_is_tighter(keyword: str, mine: Any, theirs: Any) -> bool:
    if keyword in LOWER:
        return mine is not None and (theirs is None or mine >= theirs)
    if keyword in UPPER:
        return mine is not None and (theirs is None or mine <= theirs)
    if keyword == "enum":
        return bool(mine) and (theirs is None or set(mine) <= set(theirs))
    return True  # type, pattern and presence have no "tighter"; the reason has to carry it


def test_crd_constraints_match_the_openapi():
    found = differences(application_oidc(), crd_spec())
    unexplained = [f"{path} {keyword}: CRD {mine!r}, OpenAPI {theirs!r}"
                   for (path, keyword), (mine, theirs) in sorted(found.items()) if (path, keyword) not in ALLOWED]
    assert not unexplained, "fix the model or allow-list with a reason:\n" + "\n".join(unexplained)


def test_allow_listed_differences_still_exist_and_are_tighter():
    found = differences(application_oidc(), crd_spec())
    stale = sorted(key for key in ALLOWED if key not in found)
    assert not stale, f"allow-list entries that no longer differ, remove them: {stale}"
    looser = sorted(key for key in ALLOWED if not crd_is_tighter(key[1], *found[key]))
    assert not looser, f"an allow-listed bound must be tighter than PingOne's: {looser}"
    assert all(reason.strip() for reason in ALLOWED.values())


def test_read_only_properties_are_not_in_the_spec():
    read_only = read_only_properties()
    assert {"id", "createdAt", "updatedAt", "environment", "_links"} <= set(read_only)
    in_spec = spec_paths(crd_spec()) & set(read_only)
    assert not in_spec, f"PingOne manages {sorted(in_spec)}; they cannot be desired state"

