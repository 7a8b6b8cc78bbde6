"""The PingOneApplication resource, as pydantic models: the one source of truth.

The spec model generates the CRD's openAPIV3Schema (api/crd.py), builds the body PingOne gets on
POST and PUT (plan/fields.py), and so defines what "drift" means. PingOne fields keep the API's
own names, so the body of a PingOne "Update Application" request pasted under `spec` is a valid
spec. Defaults are not CRD defaults, so nothing is ever written back into the user's spec.

Cross-field rules the API server can check are CEL rules (`x-kubernetes-validations`), attached
to the models so the CRD carries them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import (
    ASCII_TEXT, HTTPS_URL, INT32_MAX, LISTED_URI, MAX_JWKS, MAX_POST_LOGOUT_URIS, MAX_URIS, MOBILE_ID, NAME, ORIGIN,
    PINGONE_ID, TOKEN, URI, CONDITIONS, Condition, StrEnum, _cel,
)


class ApplicationType(StrEnum):
    WEB_APP = "WEB_APP"
    NATIVE_APP = "NATIVE_APP"
    SINGLE_PAGE_APP = "SINGLE_PAGE_APP"
    WORKER = "WORKER"
    SERVICE = "SERVICE"
    CUSTOM_APP = "CUSTOM_APP"


class GrantType(StrEnum):
    AUTHORIZATION_CODE = "AUTHORIZATION_CODE"
    IMPLICIT = "IMPLICIT"
    REFRESH_TOKEN = "REFRESH_TOKEN"
    CLIENT_CREDENTIALS = "CLIENT_CREDENTIALS"
    DEVICE_CODE = "DEVICE_CODE"
    TOKEN_EXCHANGE = "TOKEN_EXCHANGE"
    CIBA = "CIBA"


class ResponseType(StrEnum):
    CODE = "CODE"
    TOKEN = "TOKEN"
    ID_TOKEN = "ID_TOKEN"


class TokenEndpointAuthMethod(StrEnum):
    NONE = "NONE"
    CLIENT_SECRET_BASIC = "CLIENT_SECRET_BASIC"
    CLIENT_SECRET_POST = "CLIENT_SECRET_POST"
    CLIENT_SECRET_JWT = "CLIENT_SECRET_JWT"
    PRIVATE_KEY_JWT = "PRIVATE_KEY_JWT"


class PkceEnforcement(StrEnum):
    OPTIONAL = "OPTIONAL"
    REQUIRED = "REQUIRED"
    S256_REQUIRED = "S256_REQUIRED"


class ParRequirement(StrEnum):
    OPTIONAL = "OPTIONAL"
    REQUIRED = "REQUIRED"


class RefreshTokenType(StrEnum):
    JSON_WEB_TOKEN = "JSON_WEB_TOKEN"
    OPAQUE_TOKEN = "OPAQUE_TOKEN"


class DeletionPolicy(StrEnum):
    DELETE = "Delete"
    ORPHAN = "Orphan"


class ManagementPolicy(StrEnum):
    MANAGE = "Manage"
    OBSERVE_ONLY = "ObserveOnly"
    PAUSED = "Paused"


class _Model(BaseModel):
    # Unknown fields are an error: a typo must not silently do nothing.
    model_config = ConfigDict(extra="forbid", use_enum_values=True, populate_by_name=True)


class Icon(_Model):
    id: PINGONE_ID = Field(description="The id of the icon image in PingOne.")
    href: URI = Field(description="The URL of the icon image.")


class AccessControlRole(_Model):
    type: Literal["ADMIN_USERS_ONLY"] = Field(
        description="ADMIN_USERS_ONLY: only users with an admin role may use the application."
    )


class GroupRef(_Model):
    id: PINGONE_ID = Field(description="A PingOne group id.")


class AccessControlGroup(_Model):
    type: Literal["ANY_GROUP", "ALL_GROUPS"] = Field(
        description="Whether a user needs ANY_GROUP of the groups or ALL_GROUPS."
    )
    groups: list[GroupRef] = Field(min_length=1, max_length=100, description="The groups.")


class AccessControl(_Model):
    role: AccessControlRole | None = Field(None, description="Restrict access by admin role.")
    group: AccessControlGroup | None = Field(None, description="Restrict access by group membership.")


class CorsSettings(_Model):
    model_config = ConfigDict(
        json_schema_extra=_cel(
            (
                "self.behavior == 'ALLOW_SPECIFIC_ORIGINS' ? has(self.origins) && size(self.origins) > 0 : !has(self.origins) || size(self.origins) == 0",
                "corsSettings.origins must be set for ALLOW_SPECIFIC_ORIGINS and only then",
            )
        )
    )
    behavior: Literal["ALLOW_NO_ORIGINS", "ALLOW_SPECIFIC_ORIGINS"] = Field(
        description="ALLOW_NO_ORIGINS, or ALLOW_SPECIFIC_ORIGINS with `origins`."
    )
    origins: list[ORIGIN] | None = Field(
        None,
        max_length=20,
        description="Allowed origins, at most 20 (http/https URL without path; `*` allowed as a subdomain wildcard).",
    )


class KeyRotationPolicyRef(_Model):
    id: PINGONE_ID = Field(description="The id of a PingOne key rotation policy.")


class Signing(_Model):
    keyRotationPolicy: KeyRotationPolicyRef | None = Field(
        None, description="Sign tokens with keys from this rotation policy instead of the default key."
    )


class KeyRef(_Model):
    id: PINGONE_ID = Field(description="The id of a PingOne key (usage type ISSUANCE).")


class Kerberos(_Model):
    key: KeyRef | None = Field(None, description="Key for certificate-based authentication (NATIVE_APP only).")


class PasscodeRefreshDuration(_Model):
    duration: int = Field(ge=30, le=60, description="How long a passcode is shown before the next one, 30-60 seconds.")
    timeUnit: Literal["SECONDS"] = Field(description="Unit of `duration`: SECONDS, the only one PingOne accepts.")


class CacheDuration(_Model):
    model_config = ConfigDict(
        json_schema_extra=_cel(("!has(self.units) || self.units != 'HOURS' || self.amount <= 48", "at most 48 hours"))
    )
    amount: int = Field(
        ge=1, le=2880, description="How long a successful integrity check is cached: 1 minute to 48 hours."
    )
    units: Literal["MINUTES", "HOURS"] | None = Field(None, description="Unit of `amount`: MINUTES or HOURS.")


class GooglePlay(_Model):
    decryptionKey: str | None = Field(
        None, max_length=1024, pattern=ASCII_TEXT, description="Play Integrity verdict decryption key (INTERNAL)."
    )
    serviceAccountCredentials: str | None = Field(
        None,
        max_length=4096,
        pattern=ASCII_TEXT,
        description="The service account credentials JSON file's contents (GOOGLE).",
    )
    verificationKey: str | None = Field(
        None, max_length=1024, pattern=ASCII_TEXT, description="Play Integrity verdict verification key (INTERNAL)."
    )
    verificationType: Literal["GOOGLE", "INTERNAL"] | None = Field(
        None, description="Who verifies Play Integrity verdicts: GOOGLE or INTERNAL."
    )


class IntegrityDetection(_Model):
    mode: Literal["ENABLED", "DISABLED"] | None = Field(None, description="ENABLED or DISABLED.")
    excludedPlatforms: list[Literal["IOS", "GOOGLE"]] | None = Field(
        None, max_length=1, description="The one platform (IOS or GOOGLE) not to check."
    )
    cacheDuration: CacheDuration | None = Field(None, description="Cache successful checks; needed when ENABLED.")
    googlePlay: GooglePlay | None = Field(
        None, description="Play Integrity API credentials, unless GOOGLE is excluded. Kept in the resource as written."
    )


class NumberMatching(_Model):
    type: Literal["SELECT_NUMBER", "ENTER_MANUALLY"] | None = Field(
        None, description="SELECT_NUMBER or ENTER_MANUALLY."
    )


class Push(_Model):
    numberMatching: NumberMatching | None = Field(None, description="Number matching for push notifications.")


class Mobile(_Model):
    bundleId: MOBILE_ID | None = Field(None, description="iOS bundle id; immutable once set in PingOne.")
    packageName: MOBILE_ID | None = Field(None, description="Android package name; immutable once set.")
    huaweiAppId: MOBILE_ID | None = Field(None, description="Huawei app id; immutable once set.")
    huaweiPackageName: MOBILE_ID | None = Field(None, description="Huawei package name; immutable once set.")
    uriPrefix: URI | None = Field(
        None, description="URI prefix that opens the app (a universal link or an app scheme)."
    )
    passcodeRefreshDuration: PasscodeRefreshDuration | None = Field(None, description="Passcode refresh.")
    passcodeGracePeriod: int | None = Field(
        None, ge=1, le=10, description="Passcode refresh windows a passcode stays valid either way, 1-10 (PingOne: 5)."
    )
    integrityDetection: IntegrityDetection | None = Field(None, description="Device integrity checks.")
    push: Push | None = Field(None, description="Push notification settings.")


class ApplicationSettings(_Model):
    """The PingOne OIDC application, with the API's own field names (Update Application body)."""

    name: str = Field(min_length=1, max_length=256, description="Display name; unique within the environment.")
    enabled: bool = Field(False, description="Whether the application is enabled. Default false, as in PingOne.")
    description: str | None = Field(None, max_length=1024, description="Free-text description.")
    type: ApplicationType = Field(
        description="Application type. Immutable: PingOne cannot change the type of an application.",
        json_schema_extra=_cel(("self == oldSelf", "type is immutable; create a new resource instead")),
    )
    protocol: Literal["OPENID_CONNECT"] = Field(
        "OPENID_CONNECT",
        description="Always OPENID_CONNECT. Immutable.",
        json_schema_extra=_cel(("self == oldSelf", "protocol is immutable")),
    )
    homePageUrl: URI | None = Field(None, description="The application's home page.")
    loginPageUrl: URI | None = Field(None, description="A custom login page URL.")
    icon: Icon | None = Field(None, description="The application's icon.")
    accessControl: AccessControl | None = Field(
        None,
        description="Who may use the application. Left out, PingOne chooses (WORKER apps get ADMIN_USERS_ONLY) and the operator does not manage it.",
    )
    hiddenFromAppPortal: bool = Field(False, description="Hide the application from the user portal.")
    tags: list[Literal["PING_FED_CONNECTION_INTEGRATION"]] | None = Field(
        None, max_length=1, description="Only PING_FED_CONNECTION_INTEGRATION (worker applications)."
    )
    assignActorRoles: bool | None = Field(
        None,
        description="Create only: whether a new WORKER inherits the roles of the operator's own worker application. The operator sends false unless this says true (PingOne's own default is to inherit). Ignored by PingOne on update.",
    )
    tokenEndpointAuthMethod: TokenEndpointAuthMethod = Field(
        description="How clients authenticate at the token endpoint. CLIENT_SECRET_JWT: a JWT signed with the client secret."
    )
    grantTypes: list[GrantType] = Field(
        min_length=1, max_length=7, description="Grant types the application may use (compared as a set)."
    )
    responseTypes: list[ResponseType] | None = Field(
        None, max_length=3, description="Response types at the authorize endpoint (compared as a set)."
    )
    redirectUris: list[LISTED_URI] | None = Field(
        None,
        max_length=MAX_URIS,
        description="Redirect URIs: https, http only for localhost or 127.0.0.1, or a custom scheme. Wildcards need allowWildcardInRedirectUris.",
    )
    postLogoutRedirectUris: list[LISTED_URI] | None = Field(
        None, max_length=MAX_POST_LOGOUT_URIS, description="URIs allowed after sign-off, at most 25."
    )
    allowWildcardInRedirectUris: bool = Field(False, description="Allow `*` in redirect URIs.")
    pkceEnforcement: PkceEnforcement = Field(PkceEnforcement.OPTIONAL, description="PKCE requirement. Default OPTIONAL.")
    parRequirement: ParRequirement = Field(ParRequirement.OPTIONAL, description="Pushed authorization requests. Default OPTIONAL.")
    parTimeout: int = Field(60, ge=1, le=600, description="PAR request_uri lifetime in seconds (1-600). Default 60.")
    refreshTokenDuration: int | None = Field(
        None,
        ge=60,
        le=INT32_MAX,
        description="Refresh token lifetime in seconds. With the REFRESH_TOKEN grant and left out, 2592000 (30 days) is sent, because PingOne cannot clear it once set.",
    )
    refreshTokenRollingDuration: int | None = Field(
        None,
        ge=60,
        le=INT32_MAX,
        description="Rolling refresh lifetime in seconds; at least refreshTokenDuration. With REFRESH_TOKEN and left out, 15552000 (180 days) is sent.",
    )
    refreshTokenRollingGracePeriodDuration: int | None = Field(
        None, ge=0, le=86400, description="Grace period for rolling refresh tokens, seconds (0-86400)."
    )
    additionalRefreshTokenReplayProtectionEnabled: bool | None = Field(
        None,
        description="Extra replay protection for refresh tokens. PingOne's default is true; left out, the operator sends true on create and keeps PingOne's value on update.",
    )
    refreshTokenType: RefreshTokenType | None = Field(None, description="JSON_WEB_TOKEN or OPAQUE_TOKEN.")
    initiateLoginUri: URI | None = Field(None, description="Login initiation URI; needed to show in the portal.")
    targetLinkUri: URI | None = Field(None, description="Where the portal sends users after login.")
    jwks: str | None = Field(
        None,
        max_length=MAX_JWKS,
        pattern=ASCII_TEXT,
        description="A JWKS (an ASCII JSON string, at most 8192 characters) for PRIVATE_KEY_JWT; exclusive with jwksUrl, which suits larger key sets.",
    )
    jwksUrl: HTTPS_URL | None = Field(
        None, description="An https URL of a JWKS for PRIVATE_KEY_JWT; exclusive with jwks."
    )
    devicePathId: str | None = Field(None, pattern=r"^[a-zA-Z0-9_-]{1,50}$", description="Device flow path id.")
    deviceCustomVerificationUri: URI | None = Field(None, description="Custom device verification URI.")
    devicePollingInterval: int = Field(5, ge=1, le=60, description="Device flow polling interval, seconds (1-60). Default 5.")
    deviceTimeout: int = Field(600, ge=1, le=3600, description="Device code lifetime, seconds (1-3600). Default 600.")
    corsSettings: CorsSettings | None = Field(None, description="CORS for the authorization server's endpoints.")
    requireSignedRequestObject: bool = Field(False, description="Require signed request objects.")
    supportUnsignedRequestObject: bool = Field(False, description="Accept unsigned request objects.")
    idpSignoff: bool = Field(False, description="Sign users off PingOne when they sign off the app.")
    includeX5t: bool = Field(False, description="Include the x5t header in signed tokens.")
    opSessionCheckEnabled: bool = Field(False, description="Enable OpenID session management checks.")
    requestScopesForMultipleResourcesEnabled: bool = Field(
        False, description="Allow scopes from several resources in one request."
    )
    signing: Signing | None = Field(None, description="Token signing key rotation policy.")
    mobile: Mobile | None = Field(None, description="NATIVE_APP mobile settings.")
    kerberos: Kerberos | None = Field(None, description="NATIVE_APP certificate-based authentication.")


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
