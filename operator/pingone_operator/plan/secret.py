"""The credentials Secret's content: the variables a workload needs (ids, the client secret, the
authorization server's URLs), laid out as the default keys or as the spec's secretTemplate."""

from __future__ import annotations

import re
from typing import Any

from ..api import TokenEndpointAuthMethod
from .outcome import Resource

# Auth methods whose clients hold a client secret (and so need it in the Secret).
SECRET_METHODS = frozenset({
    TokenEndpointAuthMethod.CLIENT_SECRET_BASIC.value, TokenEndpointAuthMethod.CLIENT_SECRET_POST.value,
    TokenEndpointAuthMethod.CLIENT_SECRET_JWT.value,
})
# The default layout: key -> variable.
DEFAULT_KEYS = {
    "client-id": "clientId",
    "client-secret": "clientSecret",
    "previous-client-secret": "previousClientSecret",
    "environment-id": "environmentId",
    "issuer": "issuer",
    "token-endpoint": "tokenUrl",
    "token-endpoint-auth-method": "tokenEndpointAuthMethod",
    "discovery-url": "discoveryUrl",
}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def holds_secret(resource: Resource, app: dict[str, Any]) -> bool:
    return app.get("tokenEndpointAuthMethod", resource.spec.tokenEndpointAuthMethod) in SECRET_METHODS


def variables(resource: Resource, app: dict[str, Any], env: str, auth_url: str,
              secret: dict[str, Any] | None) -> dict[str, str]:
    """Everything a template may name; the secrets only when the application has one (`secret`:
    PingOne's answer to a secret read or rotation)."""
    issuer = f"{auth_url}/{env}/as"
    values = {
        "clientId": app.get("clientId", app["id"]),
        "environmentId": env,
        "issuer": issuer,
        "authorizationUrl": f"{issuer}/authorize",
        "tokenUrl": f"{issuer}/token",
        "userinfoUrl": f"{issuer}/userinfo",
        "jwksUrl": f"{issuer}/jwks",
        "discoveryUrl": f"{issuer}/.well-known/openid-configuration",
        "tokenEndpointAuthMethod": app.get("tokenEndpointAuthMethod", resource.spec.tokenEndpointAuthMethod),
        "scopes": " ".join(s for g in resource.spec.grants or [] for s in g.scopes),
    }
    if secret is not None:
        values["clientSecret"] = secret["secret"]
        previous = (secret.get("previous") or {}).get("secret")
        if previous:
            values["previousClientSecret"] = previous
    return values


def layout(resource: Resource) -> dict[str, str]:
    """key -> template: the spec's secretTemplate.data, or the default keys."""
    template = resource.spec.secretTemplate
    if template is not None and template.data is not None:
        return dict(template.data)
    return {key: "{{" + name + "}}" for key, name in DEFAULT_KEYS.items()}


def render(resource: Resource, values: dict[str, str]) -> dict[str, str]:
    """The Secret's data. A key that names a value the application does not have (a client secret
    of a public client, the previous secret outside a rotation's overlap) is left out."""
    data = {}
    for key, template in layout(resource).items():
        names = _PLACEHOLDER.findall(template)
        if all(n in values for n in names):
            data[key] = _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
    return data


def kept_secret(resource: Resource, stored: dict[str, str]) -> dict[str, Any] | None:
    """Between secret checks, the client secret as the Secret holds it (a key whose template is
    exactly the variable), shaped like PingOne's answer; None when it cannot be read back."""
    keys = {template: key for key, template in layout(resource).items()}
    current = stored.get(keys.get("{{clientSecret}}", ""))
    if current is None:
        return None
    previous = stored.get(keys.get("{{previousClientSecret}}", ""))
    return {"secret": current, **({"previous": {"secret": previous}} if previous else {})}


def metadata(resource: Resource) -> tuple[dict[str, str], dict[str, str]]:
    """Labels and annotations the template adds (the store keeps the operator's own labels)."""
    template = resource.spec.secretTemplate
    if template is None:
        return {}, {}
    return dict(template.labels or {}), dict(template.annotations or {})

