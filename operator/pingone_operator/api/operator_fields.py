"""The operator's own fields of a PingOneApplication: rotation, the lists (grants, claims,
policies, roles), the Secret's shape, the connection. None of them goes into PingOne's body."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .common import ASCII_TEXT, NAME, PINGONE_ID, TOKEN, _cel
from .application import _Model


class SecretRotation(_Model):
    """Declarative client-secret rotation with an overlap (PingOne's `previous.expiresAt`)."""

    trigger: str | None = Field(
        None,
        max_length=253,
        description="Any value; changing it rotates the client secret once (e.g. a date, or a counter).",
    )
    everySeconds: int | None = Field(
        None, ge=3600, le=31536000, description="Also rotate on a schedule: when the secret is older than this."
    )
    overlapSeconds: int = Field(
        86400,
        ge=60,
        le=2592000,
        description="How long the previous secret keeps working after a rotation (60 s to 30 days). Default 1 day.",
    )


class Grant(_Model):
    resource: NAME = Field(description="A resource by name: `openid`, `PingOne API`, or a custom resource (PingOneResource).")
    scopes: list[TOKEN] = Field(min_length=1, max_length=20, description="Scopes of that resource, by name (compared as a set).")


class AttributeMapping(_Model):
    name: TOKEN = Field(description="The claim name, e.g. `email`, or a custom claim.")
    value: str = Field(min_length=1, max_length=256, pattern=ASCII_TEXT,
                       description="The value: a constant or an expression such as `${user.email}` (ASCII).")
    required: bool = Field(False, description="Whether a user must have a value for this claim. Default false.")


class RoleScope(_Model):
    type: Literal["ORGANIZATION", "ENVIRONMENT", "POPULATION", "APPLICATION"] = Field(description="What the role applies to.")
    id: PINGONE_ID = Field(description="The id of that organization, environment, population or application.")


class RoleAssignmentSpec(_Model):
    role: NAME = Field(description="A PingOne role by name, e.g. `Identity Data Read Only`.")
    scope: RoleScope = Field(description="Where the role applies.")


class ExclusiveLists(_Model):
    """Lists whose entries in PingOne the operator owns entirely (default: only those it declared)."""

    grants: bool = Field(False, description="Also remove grants this spec never declared.")
    attributeMappings: bool = Field(False, description="Also remove custom attribute mappings this spec never declared.")
    signOnPolicies: bool = Field(False, description="Also remove sign-on policy assignments this spec never declared.")
    roleAssignments: bool = Field(False, description="Also remove role assignments this spec never declared.")


# What a secretTemplate value may name, as {{variable}} (plan/secret.py fills them in).
SECRET_VARIABLES = (
    "clientId", "clientSecret", "previousClientSecret", "issuer", "authorizationUrl", "tokenUrl", "userinfoUrl",
    "jwksUrl", "discoveryUrl", "tokenEndpointAuthMethod", "environmentId", "scopes",
)
SECRET_KEY = r"^[-._a-zA-Z0-9]{1,100}$"  # a Secret data key
_TEMPLATE = "^([^{}]|\\{\\{(" + "|".join(SECRET_VARIABLES) + ")\\}\\})*$"
RESERVED_LABELS = ("app.kubernetes.io/managed-by", "pingone-operator.dev/application")
LABEL_KEY = r"^([a-z0-9.-]{1,253}/)?[A-Za-z0-9._-]{1,63}$"  # a label or annotation name
LABEL_VALUE = r"^[A-Za-z0-9._-]*$"


class SecretTemplate(_Model):
    """The credentials Secret shaped for its consumer (oauth2-proxy, Spring, NextAuth...)."""

    data: dict[str, Annotated[str, Field(max_length=256, pattern=ASCII_TEXT)]] | None = Field(
        None, max_length=20,
        description="The Secret's keys and values, replacing the default keys. A value is text with {{variable}} "
        "placeholders: " + ", ".join(SECRET_VARIABLES) + ". A key whose value names previousClientSecret is "
        "present only during a rotation's overlap.",
        json_schema_extra=_cel(
            ("self.all(k, k.matches('" + SECRET_KEY + "'))",
             "secretTemplate.data: keys are Secret keys (letters, digits, '-', '_', '.'; at most 100)"),
            ("self.all(k, self[k].matches('" + _TEMPLATE.replace("\\", "\\\\") + "'))",
             "secretTemplate.data: a value names an unknown {{variable}} (or has a lone brace); the variables are "
             + ", ".join(SECRET_VARIABLES)),
        ),
    )
    labels: dict[str, Annotated[str, Field(max_length=63, pattern=LABEL_VALUE)]] | None = Field(
        None, max_length=10, description="Labels added to the Secret (the operator's own labels always stay).",
        json_schema_extra=_cel(
            ("self.all(k, k.matches('" + LABEL_KEY + "'))", "secretTemplate.labels: keys are label names"),
            ("!self.exists(k, k in " + str(list(RESERVED_LABELS)).replace('"', "'") + ")",
             "secretTemplate.labels cannot set the operator's own labels"),
        ),
    )
    annotations: dict[str, Annotated[str, Field(max_length=256, pattern=ASCII_TEXT)]] | None = Field(
        None, max_length=10, description="Annotations added to the Secret.",
        json_schema_extra=_cel(("self.all(k, k.matches('" + LABEL_KEY + "'))",
                                "secretTemplate.annotations: keys are annotation names")),
    )


class ConnectionRef(_Model):
    name: str = Field(max_length=253, description="The name of a (cluster-scoped) PingOneConnection.")
