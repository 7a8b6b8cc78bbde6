"""Which scopes and audience a client_credentials token gets, from the application's grants.

Sources: Ping docs, "Token Admin App (client_credentials)": without `scope`, an application with
scopes of one custom resource gets all of them; "Worker applications": a worker token with no
grants "does not list any scopes" (its `aud` is the PingOne API); "PingOne self-management scopes":
they "cannot be granted on a client_credentials flow"; "Create Grant": client_credentials workers
do not support OIDC scopes; "Resource scopes": scopes of two resources need
`requestScopesForMultipleResourcesEnabled` ("May not request scopes for multiple resources").
RFC 6749 §5.2: a scope that is not granted is `invalid_scope`. Refusing OIDC scopes for every
client_credentials client (no user to describe), `invalid_scope` for a missing `scope` when several
custom resources are granted, and the shortest lifetime for several resources are inferred [I].
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .resources import CUSTOM, OPENID, Resource
from .tokens import OAuthError


@dataclass
class Issue:
    """What to mint. No resources: a PingOne API (management) token without scopes."""

    resources: list[Resource] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)

    @property
    def lifetime(self) -> int | None:
        return min((r.fields["accessTokenValiditySeconds"] for r in self.resources), default=None)


def resolve(grants: list[dict], resources: dict[str, Resource], requested: str | None,
            multiple_allowed: bool) -> Issue:
    granted = _granted(grants, resources)  # [(resource, scope name)] in grant order
    names = list(dict.fromkeys((requested or "").split()))
    if not names:
        custom = list(dict.fromkeys(r for r, _ in granted if r.type == CUSTOM))
        if len(custom) > 1:
            raise _invalid("scope is required: scopes of more than one custom resource are granted.")
        if not custom:
            return Issue()
        return Issue([custom[0]], [n for r, n in granted if r is custom[0]])
    for name in names:
        kinds = {r.type for r, n in granted if n == name}
        if not kinds:
            raise _invalid(f"The scope {name!r} is not granted to the application.")
        if CUSTOM not in kinds:
            which = "OIDC scopes" if OPENID in kinds else "PingOne self-management scopes"
            raise _invalid(f"{which} cannot be granted on a client_credentials request: {name!r}.")
    chosen = _one_resource(granted, names) or ([] if not multiple_allowed else _each_resource(granted, names))
    if not chosen:
        raise _invalid("May not request scopes for multiple resources.")
    return Issue(chosen, names)


def _granted(grants: list[dict], resources: dict[str, Resource]) -> list[tuple[Resource, str]]:
    result = []
    for grant in grants:
        resource = resources.get(grant["resource"]["id"])
        if resource is None:
            continue
        for ref in grant["scopes"]:
            scope = resource.scopes.get(ref["id"])
            if scope is not None:
                result.append((resource, scope["name"]))
    return result


def _one_resource(granted: list[tuple[Resource, str]], names: list[str]) -> list[Resource]:
    """The first custom resource granting every requested name, if any."""
    for resource in dict.fromkeys(r for r, _ in granted if r.type == CUSTOM):
        if set(names) <= {n for r, n in granted if r is resource}:
            return [resource]
    return []


def _each_resource(granted: list[tuple[Resource, str]], names: list[str]) -> list[Resource]:
    picked = [next(r for r, n in granted if n == name and r.type == CUSTOM) for name in names]
    return list(dict.fromkeys(picked))


def _invalid(description: str) -> OAuthError:
    return OAuthError(400, "invalid_scope", description)
