"""The PingOneApplication resource: its spec (PingOne's fields and the operator's), the CEL rules
over them, and its status."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from .common import NAME, CONDITIONS, Condition, _cel
from .application import ApplicationSettings, DeletionPolicy, ManagementPolicy
from .operator_fields import (
    AttributeMapping, ConnectionRef, ExclusiveLists, Grant, RoleAssignmentSpec, SecretRotation, SecretTemplate,
)


# Operator fields sit beside PingOne's fields in the spec; this is their whole list.
OPERATOR_FIELDS = (
    "environmentId", "deletionPolicy", "managementPolicy", "adoptApplicationId", "secretName", "secretRotation",
    "connectionRef", "grants", "attributeMappings", "signOnPolicies", "roleAssignments", "exclusive",
    "secretTemplate",
)

SPEC_RULES = (
    (
        "self.tokenEndpointAuthMethod != 'PRIVATE_KEY_JWT' || (has(self.jwks) != has(self.jwksUrl))",
        "PRIVATE_KEY_JWT needs exactly one of jwks or jwksUrl",
    ),
    ("!(has(self.jwks) && has(self.jwksUrl))", "jwks and jwksUrl are mutually exclusive"),
    (
        "!has(self.refreshTokenDuration) || !has(self.refreshTokenRollingDuration) || self.refreshTokenDuration <= self.refreshTokenRollingDuration",
        "refreshTokenDuration must not exceed refreshTokenRollingDuration",
    ),
    (
        "!(has(self.requireSignedRequestObject) && self.requireSignedRequestObject && has(self.supportUnsignedRequestObject) && self.supportUnsignedRequestObject)",
        "requireSignedRequestObject and supportUnsignedRequestObject cannot both be true",
    ),
    (
        "(has(self.allowWildcardInRedirectUris) && self.allowWildcardInRedirectUris) || !has(self.redirectUris) || self.redirectUris.all(u, !u.contains('*'))",
        "Wildcards are not allowed in redirectUris unless allowWildcardInRedirectUris is true",
    ),
    (
        # The exact host, not a prefix: http://localhost.attacker.example is not localhost.
        "!has(self.redirectUris) || self.redirectUris.all(u, !u.startsWith('http://') || (isURL(u) && url(u).getHostname() in ['localhost', '127.0.0.1', '::1']))",
        "redirectUris must use https; http is allowed only for the hosts localhost, 127.0.0.1 and [::1]",
    ),
    (
        "self.tokenEndpointAuthMethod != 'NONE' || !self.grantTypes.exists(g, g == 'CLIENT_CREDENTIALS')",
        "CLIENT_CREDENTIALS needs a client secret or key: tokenEndpointAuthMethod NONE cannot use it",
    ),
    (
        "!has(self.secretRotation) || self.tokenEndpointAuthMethod in ['CLIENT_SECRET_BASIC', 'CLIENT_SECRET_POST', 'CLIENT_SECRET_JWT']",
        "secretRotation needs a secret-based tokenEndpointAuthMethod (CLIENT_SECRET_BASIC, _POST or _JWT)",
    ),
    (
        "!has(self.roleAssignments) || size(self.roleAssignments) == 0 || self.type == 'WORKER'",
        "roleAssignments are for WORKER applications only",
    ),
    (
        "has(oldSelf.environmentId) == has(self.environmentId) && (!has(self.environmentId) || self.environmentId == oldSelf.environmentId)",
        "environmentId is immutable; create a new resource to move an application",
    ),
)


# Rules over the whole object: they can see status, so they know whether the application exists.
RESOURCE_RULES = (
    (
        "!has(oldSelf.status) || !has(oldSelf.status.applicationId) || "
        "(has(self.spec.connectionRef) == has(oldSelf.spec.connectionRef) && "
        "(!has(self.spec.connectionRef) || self.spec.connectionRef.name == oldSelf.spec.connectionRef.name))",
        "connectionRef cannot change once the application exists in PingOne; create a new resource to move it",
    ),
)


class PingOneApplicationSpec(ApplicationSettings):
    """Desired state: PingOne's application fields plus a few operator fields."""

    model_config = ConfigDict(json_schema_extra=_cel(*SPEC_RULES))

    environmentId: str | None = Field(
        None,
        pattern=r"^[0-9a-fA-F-]{36}$",
        description="Operator field. The PingOne environment of the application. Default: the connection's environment (the operator's PINGONE_ENVIRONMENT_ID without connectionRef). Immutable.",
    )
    deletionPolicy: DeletionPolicy | None = Field(
        None,
        description="Operator field. Delete removes the PingOne application with the resource; Orphan keeps it. Default: Delete for an application the operator created, Orphan for an adopted one.",
    )
    managementPolicy: ManagementPolicy = Field(
        ManagementPolicy.MANAGE,
        description="Operator field. Manage (default) creates and corrects the application; ObserveOnly only reads it and reports drift, never writes; Paused makes no PingOne call at all (and deleting the resource leaves the application).",
    )
    adoptApplicationId: str | None = Field(
        None,
        pattern=r"^[0-9a-fA-F-]{36}$",
        description="Operator field. Take over this existing PingOne application instead of creating one.",
    )
    secretName: str | None = Field(
        None,
        max_length=253,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
        description="Operator field. Name of the Secret for the client credentials. Default: <resource name>-oidc.",
    )
    secretRotation: SecretRotation | None = Field(
        None, description="Operator field. Rotate the client secret on a trigger change or a schedule, with an overlap."
    )
    secretTemplate: SecretTemplate | None = Field(
        None, description="Operator field. Shape the credentials Secret for its consumer: key names, constant "
        "values, labels, annotations. Default: the keys listed in the README.",
    )
    connectionRef: ConnectionRef | None = Field(
        None, description="Operator field. Use this PingOneConnection instead of the operator's own configuration."
    )

    grants: list[Grant] | None = Field(
        None, max_length=10,
        description="Operator field. The resources and scopes the application may request (PingOne grants), by name.",
        json_schema_extra=_cel(("self.all(g, self.exists_one(h, h.resource == g.resource))",
                                "grants: one entry per resource")),
    )
    attributeMappings: list[AttributeMapping] | None = Field(
        None, max_length=50,
        description="Operator field. Claims the application's tokens carry (PingOne attribute mappings). PingOne's core mappings are left alone.",
        json_schema_extra=_cel(("self.all(m, self.exists_one(n, n.name == m.name))",
                                "attributeMappings: one entry per name")),
    )
    signOnPolicies: list[NAME] | None = Field(
        None, max_length=10,
        description="Operator field. Sign-on policies by name, in the order PingOne evaluates them (priority 1 first).",
        json_schema_extra=_cel(("self.all(p, self.exists_one(q, q == p))", "signOnPolicies: each policy once")),
    )
    roleAssignments: list[RoleAssignmentSpec] | None = Field(
        None, max_length=10,
        description="Operator field. WORKER only: PingOne roles the worker holds, by name. Only roles the connection allows (allowedRoles) and that the operator's own worker holds.",
    )
    exclusive: ExclusiveLists | None = Field(
        None, description="Operator field. Lists the operator manages exclusively. Default: entries never declared are left alone."
    )

    def effective_deletion_policy(self) -> DeletionPolicy:
        """An adopted application outlives its resource unless the spec says otherwise."""
        if self.deletionPolicy is not None:
            return DeletionPolicy(self.deletionPolicy)
        return DeletionPolicy.ORPHAN if self.adoptApplicationId else DeletionPolicy.DELETE

    def application(self) -> ApplicationSettings:
        """The PingOne part of the spec, without operator fields."""
        return ApplicationSettings.model_validate(self.model_dump(exclude=set(OPERATOR_FIELDS)))


class PendingCreate(BaseModel):
    name: str = Field(description="The application name being created.")
    environmentId: str = Field(description="The environment it is being created in.")
    startedAt: str = Field(description="When the create request was sent.")


class SecretRotationStatus(BaseModel):
    trigger: str | None = Field(None, description="The spec.secretRotation.trigger last acted on.")
    lastRotatedAt: str | None = Field(None, description="When the operator last rotated the client secret.")
    previousExpiresAt: str | None = Field(None, description="When the previous secret stops working.")
    pendingTrigger: str | None = Field(None, description="Set while a rotation is in flight (crash recovery).")
    pendingExpiresAt: str | None = Field(None, description="The previous.expiresAt sent with the rotation in flight.")


class ManagedEntries(BaseModel):
    """Keys of the entries declared at the last successful sync: one that leaves the spec is removed."""

    grants: list[str] | None = Field(None, description="Resource names.")
    attributeMappings: list[str] | None = Field(None, description="Claim names.")
    signOnPolicies: list[str] | None = Field(None, description="Policy names.")
    roleAssignments: list[str] | None = Field(None, description="`role@TYPE:id` of each assignment.")


class PingOneApplicationStatus(BaseModel):
    applicationId: str | None = Field(None, description="PingOne's application id.")
    clientId: str | None = Field(None, description="The OAuth client id, as PingOne returned it.")
    updatedAt: str | None = Field(None, description="PingOne's updatedAt of the application, verbatim.")
    environmentId: str | None = Field(None, description="The PingOne environment of the application.")
    observedGeneration: int | None = Field(None, description="The spec generation last reconciled.")
    secretName: str | None = Field(None, description="The Secret that holds the client credentials.")
    driftedFields: list[str] | None = Field(None, description="Fields that differed from the spec at the last check.")
    managedFields: list[str] | None = Field(
        None,
        description="The PingOne fields (dotted paths) the spec declared at the last successful sync. A field that leaves the spec goes back to PingOne's default; fields never declared keep PingOne's value.",
    )
    managedEntries: ManagedEntries | None = Field(
        None, description="The list entries (grants, mappings, policies, roles) the spec declared at the last successful sync.",
    )
    pendingCreate: PendingCreate | None = Field(
        None, description="Set while a create request is in flight; lets the operator recover its own application after a crash."
    )
    secretRotation: SecretRotationStatus | None = Field(None, description="The last client-secret rotation.")
    conditions: list[Condition] | None = Field(
        None, max_length=8, description="Ready, Synced, Reconciling and Stalled.", json_schema_extra=CONDITIONS)


def secret_name_for(resource_name: str, spec: PingOneApplicationSpec) -> str:
    return spec.secretName or f"{resource_name}-oidc"
