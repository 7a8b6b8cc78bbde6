"""The PingOneResource kind: a custom API resource in PingOne (OpenAPI `Resource`) and its scopes.

PingOne fields keep the API's names (a "Create Resource" body is a valid spec, plus `scopes`);
operator fields are the application's (environment, connection, deletion, management, adoption),
with `adoptResourceId`. Only CUSTOM resources exist here: PingOne's built-in `openid` and
`PingOne API` resources can never be created, adopted or managed.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .application import DeletionPolicy, ManagementPolicy
from .application_resource import PendingCreate
from .operator_fields import ConnectionRef
from .common import CONDITIONS, NAME, PINGONE_ID, TOKEN, Condition, _cel

# OpenAPI `Resource.accessTokenValiditySeconds`: "default is 3600 ... minimum 300 ... maximum 2592000".
MIN_TOKEN_SECONDS, DEFAULT_TOKEN_SECONDS, MAX_TOKEN_SECONDS = 300, 3600, 2592000
BUILT_IN_NAMES = ("openid", "PingOne API")
MAX_SCOPES = 50
# An audience is a URL (or a name) without a fragment: printable ASCII but space, `"`, `#` and `\\`.
AUDIENCE = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[\x21\x24-\x5b\x5d-\x7e]+$")]
# Free text, so any character; kopf escapes non-ASCII up to 12 bytes each, so keep it short.
SCOPE_DESCRIPTION = Annotated[str, Field(max_length=200)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, populate_by_name=True)


class Scope(_Model):
    name: TOKEN = Field(description="The scope's name as clients request it, e.g. `orders:read` (no spaces).")
    description: SCOPE_DESCRIPTION | None = Field(None, description="What the scope allows.")


class ResourceSettings(_Model):
    """The PingOne resource, with the API's own field names (Create Resource body)."""

    name: NAME = Field(
        description="The resource's name, unique in the environment; applications' grants refer to it. Not `openid` or `PingOne API` (PingOne's built-in resources).",
        json_schema_extra=_cel(
            ("!(self in ['openid', 'PingOne API'])",
             "openid and PingOne API are PingOne's built-in resources; they cannot be managed"),
        ),
    )
    description: str | None = Field(None, max_length=1024, description="Free-text description.")
    audience: AUDIENCE | None = Field(
        None,
        description="The access token's `aud`: a URL without a fragment, not containing `pingone` or `pingidentity`. Default (PingOne's): the resource name.",
        json_schema_extra=_cel(
            ("!self.lowerAscii().contains('pingone') && !self.lowerAscii().contains('pingidentity')",
             "audience must not contain pingone or pingidentity"),
        ),
    )
    accessTokenValiditySeconds: int | None = Field(
        None, ge=MIN_TOKEN_SECONDS, le=MAX_TOKEN_SECONDS,
        description="Access token lifetime in seconds, 300 (5 minutes) to 2592000 (30 days). Default (PingOne's): 3600.",
    )


# Operator fields sit beside PingOne's fields in the spec; this is their whole list.
OPERATOR_FIELDS = ("environmentId", "connectionRef", "deletionPolicy", "managementPolicy", "adoptResourceId",
                   "grantNamespaces")
# Not fields of PingOne's resource body: its scopes are child objects, each with its own requests.
CHILD_FIELDS = ("scopes",)

SPEC_RULES = (
    (
        "has(oldSelf.environmentId) == has(self.environmentId) && (!has(self.environmentId) || self.environmentId == oldSelf.environmentId)",
        "environmentId is immutable; create a new resource to move it",
    ),
)
RESOURCE_RULES = (
    (
        "!has(oldSelf.status) || !has(oldSelf.status.resourceId) || "
        "(has(self.spec.connectionRef) == has(oldSelf.spec.connectionRef) && "
        "(!has(self.spec.connectionRef) || self.spec.connectionRef.name == oldSelf.spec.connectionRef.name))",
        "connectionRef cannot change once the resource exists in PingOne; create a new PingOneResource to move it",
    ),
)


class PingOneResourceSpec(ResourceSettings):
    """Desired state: PingOne's resource fields, its scopes, and the operator fields."""

    model_config = ConfigDict(json_schema_extra=_cel(*SPEC_RULES))

    scopes: list[Scope] | None = Field(
        None, max_length=MAX_SCOPES,
        description="The resource's scopes, by name. Scopes never declared here are left alone; one removed from this list is deleted.",
        json_schema_extra=_cel(("self.all(s, self.exists_one(t, t.name == s.name))", "scopes: one entry per name")),
    )
    environmentId: PINGONE_ID | None = Field(
        None,
        description="Operator field. The PingOne environment of the resource. Default: the connection's environment. Immutable.",
    )
    connectionRef: ConnectionRef | None = Field(
        None, description="Operator field. Use this PingOneConnection instead of the operator's own configuration."
    )
    deletionPolicy: DeletionPolicy | None = Field(
        None,
        description="Operator field. Delete removes the PingOne resource (and its scopes) with this object; Orphan keeps it. Default: Delete, Orphan for an adopted resource.",
    )
    managementPolicy: ManagementPolicy = Field(
        ManagementPolicy.MANAGE,
        description="Operator field. Manage (default) creates and corrects the resource; ObserveOnly only reads it and reports drift; Paused makes no PingOne call.",
    )
    adoptResourceId: PINGONE_ID | None = Field(
        None,
        description="Operator field. Take over this existing custom resource instead of creating one (where an administrator allows adoption).",
    )

    grantNamespaces: list[Annotated[str, Field(max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]] | None = Field(
        None, max_length=100,
        description="Operator field. Namespaces whose PingOneApplications may be granted this resource's scopes, "
        "besides this object's own namespace. Default: none. A team's API is not another team's to call.",
    )

    def effective_deletion_policy(self) -> DeletionPolicy:
        """An adopted resource outlives its PingOneResource unless the spec says otherwise."""
        if self.deletionPolicy is not None:
            return DeletionPolicy(self.deletionPolicy)
        return DeletionPolicy.ORPHAN if self.adoptResourceId else DeletionPolicy.DELETE


class PingOneResourceStatus(BaseModel):
    resourceId: str | None = Field(None, description="PingOne's resource id.")
    updatedAt: str | None = Field(None, description="PingOne's updatedAt of the resource, verbatim.")
    environmentId: str | None = Field(None, description="The PingOne environment of the resource.")
    observedGeneration: int | None = Field(None, description="The spec generation last reconciled.")
    driftedFields: list[str] | None = Field(
        None, description="With ObserveOnly: fields and scopes (`scopes[name]`) that differed from the spec at the last check."
    )
    managedFields: list[str] | None = Field(
        None, description="The resource fields the spec declared at the last successful sync (a field that leaves the spec goes back to PingOne's default).",
    )
    managedScopes: list[str] | None = Field(
        None, description="The scope names the spec declared at the last successful sync (a scope that leaves the spec is deleted).",
    )
    pendingCreate: PendingCreate | None = Field(
        None, description="Set while a create request is in flight; lets the operator recover its own resource after a crash."
    )
    conditions: list[Condition] | None = Field(
        None, max_length=8, description="Ready, Synced, Reconciling and Stalled.", json_schema_extra=CONDITIONS)
