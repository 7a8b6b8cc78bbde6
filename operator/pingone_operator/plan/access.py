"""Who may use which way in to PingOne, for what: the one place tenancy is decided.

A connection (a PingOneConnection, or the operator's own credentials: the default connection)
holds powerful PingOne credentials. Every field of a PingOneApplication or PingOneResource that
names something outside its namespace goes through `check`, the same for both kinds:

- `connectionRef` and the namespace: the connection must allow the namespace;
- the environment the sync will use (spec, else status, else the connection's own): it must be
  one the connection allows;
- `adoptApplicationId` / `adoptResourceId`: adoption is an administrator's decision, off unless the
  connection allows the namespace (and, if it lists ids, that application or resource);
- the connection's own worker application can never be adopted or managed (`protect_worker`,
  once the connection's credentials are read).

Pure: the caller fetches namespace labels (only when a selector needs them) and acts on the answer.
Nothing here needs PingOne: a refusal reads nothing from the application it refuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from typing import Any

from ..api import NamespaceSelector, PingOneApplicationSpec, PingOneConnectionSpec
from .kinds import APPLICATION, Kind
from .outcome import Failure


@dataclass(frozen=True)
class NamespaceRule:
    """Namespaces by name or by labels; `everyone` for the default connection's unscoped form."""

    names: frozenset[str] = frozenset()
    labels: dict[str, str] | None = None
    everyone: bool = False

    def allows(self, namespace: str, labels: dict[str, str]) -> bool:
        if self.everyone or namespace in self.names:
            return True
        return self.labels is not None and all(labels.get(k) == v for k, v in self.labels.items())

    @property
    def needs_labels(self) -> bool:
        return not self.everyone and self.labels is not None


@dataclass(frozen=True)
class AccessPolicy:
    """What one connection allows."""

    connection: str  # how messages name it
    environments: frozenset[str]
    namespaces: NamespaceRule
    adoption: NamespaceRule
    adoptable_ids: frozenset[str] | None  # None: any id (adoption still needs the namespace)
    allowed_roles: frozenset[str] = frozenset()  # role names WORKER applications may be given

    @property
    def needs_labels(self) -> bool:
        return self.namespaces.needs_labels or self.adoption.needs_labels


def _rule(names: Iterable[str] | None, selector: NamespaceSelector | None) -> NamespaceRule:
    return NamespaceRule(frozenset(names or ()), selector.matchLabels if selector else None)


def connection_policy(name: str, spec: PingOneConnectionSpec) -> AccessPolicy:
    adoption = spec.adoption
    return AccessPolicy(
        connection=f"PingOneConnection {name!r}",
        environments=frozenset(spec.environments()),
        namespaces=_rule(spec.allowedNamespaces, spec.namespaceSelector),
        adoption=_rule(adoption.allowedNamespaces, adoption.namespaceSelector) if adoption else NamespaceRule(),
        adoptable_ids=frozenset(adoption.applicationIds) if adoption and adoption.applicationIds else None,
        allowed_roles=frozenset(spec.allowedRoles or ()),
    )


def default_policy(environment_id: str, *, namespaces: Iterable[str] = (),
                   environments: Iterable[str] = (), adoption_namespaces: Iterable[str] = (),
                   adoptable_ids: Iterable[str] = (), roles: Iterable[str] = ()) -> AccessPolicy:
    """The operator's own credentials, from its configuration (Helm values)."""
    names = frozenset(namespaces)
    return AccessPolicy(
        connection="the operator's default connection",
        environments=frozenset(environments) or frozenset({environment_id}),
        namespaces=NamespaceRule(names, everyone=not names),
        adoption=NamespaceRule(frozenset(adoption_namespaces)),
        adoptable_ids=frozenset(adoptable_ids) or None,
        allowed_roles=frozenset(roles),
    )


def _refused(reason: str, message: str) -> Failure:
    # Retried slowly: an administrator may change the connection or its allow-lists at any time.
    return Failure(reason, message, retry=True, delay=120)


def check(policy: AccessPolicy, namespace: str, labels: dict[str, str], environment: str,
          spec: Any, kind: Kind = APPLICATION) -> Failure | None:
    """None if the resource (a `kind.spec`) may sync through this connection, else why not."""
    if not policy.namespaces.allows(namespace, labels):
        return _refused("ConnectionDenied", f"{policy.connection} does not allow namespace {namespace!r}")
    if environment not in policy.environments:
        return _refused("ConnectionDenied", f"{policy.connection} does not allow environment {environment}")
    adopt = getattr(spec, kind.adopt_field)
    if adopt and not policy.adoption.allows(namespace, labels):
        return _refused("AdoptionNotAllowed",
                        f"{policy.connection} does not allow namespace {namespace!r} to adopt existing {kind.noun}s "
                        "(an administrator decides: see adoption in the README)")
    if adopt and policy.adoptable_ids is not None and adopt not in policy.adoptable_ids:
        return _refused("AdoptionNotAllowed", f"{policy.connection} does not allow adopting {kind.noun} {adopt}")
    return None


def protect_worker(worker_id: str, spec: PingOneApplicationSpec, application_id: str | None) -> Failure | None:
    """The connection's own worker application is never adopted or managed through it."""
    if worker_id in (spec.adoptApplicationId, application_id):
        return Failure("ProtectedApplication", f"application {worker_id} is the worker application the operator "
                       "signs in with; it can never be adopted or managed", retry=False)
    return None


def adoption_conflict(resource_uid: str, managed_id: str | None, adopt_id: str | None,
                      claims: Iterable[tuple[str, str, bool]]) -> Failure | None:
    """Adoption never takes over an application another resource manages. The manager keeps it;
    between two resources adopting the same one at once, the lower uid wins (both agree on it).
    `claims`: (owner, uid, manages) of every resource that manages or adopts that id."""
    if managed_id or not adopt_id:
        return None
    for owner, uid, manages in claims:
        if uid != resource_uid and (manages or uid < resource_uid):
            return Failure("AdoptionConflict", f"the application is already managed by {owner}", retry=False)
    return None


# Ping docs, "Roles Management": "you cannot assign roles that you do not have yourself", except
# the read-only variant of a role you have.
READ_ONLY_OF = {
    "Identity Data Read Only": ("Identity Data Admin",),
    "Configuration Read Only": ("Environment Admin",),
    "DaVinci Admin Read Only": ("DaVinci Admin",),
}


def check_roles(policy: AccessPolicy, spec: PingOneApplicationSpec, roles: dict[str, str],
                worker_holds: set[tuple[str, str, str]]) -> Failure | None:
    """Roles for a WORKER: only those the connection allows, in environments it allows, and never
    more than the operator's own worker holds (PingOne: an actor cannot give what it has not)."""
    for n, assignment in enumerate(spec.roleAssignments or []):
        scope = assignment.scope
        where = f"spec.roleAssignments[{n}]"
        if assignment.role not in policy.allowed_roles:
            return _refused("RoleNotAllowed", f"{where}: {policy.connection} does not allow role {assignment.role!r} "
                            "(an administrator lists allowed roles in allowedRoles)")
        if scope.type == "ENVIRONMENT" and scope.id not in policy.environments:
            return _refused("RoleNotAllowed", f"{where}: {policy.connection} does not allow environment {scope.id}")
        # PingOne lets an actor give a role it holds, or the read-only variant of one it holds.
        givers = {roles.get(assignment.role)} | {roles.get(r) for r in READ_ONLY_OF.get(assignment.role, ())}
        held = {(r, t, i) for r, t, i in worker_holds if r in givers}
        if not any((t, i) == (scope.type, scope.id) or t == "ORGANIZATION" for _, t, i in held):
            return _refused("RoleNotHeld", f"{where}: the operator's worker does not hold {assignment.role!r} for "
                            f"{scope.type} {scope.id}, so it cannot give it")
    return None


def check_grants(namespace: str, environment: str, spec: PingOneApplicationSpec,
                 owners: dict[str, list[tuple[str, str | None, tuple[str, ...]]]]) -> Failure | None:
    """A grant names a resource by name; one that a PingOneResource in another namespace manages
    may be granted only where that PingOneResource allows it (`grantNamespaces`).
    `owners`: resource name -> (namespace, environment, grantNamespaces) of its PingOneResources."""
    for n, grant in enumerate(spec.grants or []):
        for owner_namespace, owner_environment, allowed in owners.get(grant.resource, []):
            if owner_environment not in (None, environment) or owner_namespace == namespace:
                continue
            if namespace not in allowed:
                return _refused("GrantNotAllowed", f"spec.grants[{n}]: resource {grant.resource!r} belongs to "
                                f"namespace {owner_namespace!r}, whose PingOneResource does not list {namespace!r} "
                                "in grantNamespaces")
    return None
