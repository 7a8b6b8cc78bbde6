"""PingOne's OIDC application fields, with the API's own names and bounds: the one source of truth.

These models generate the CRD's schema (api/crd.py), build the body PingOne gets on POST and PUT
(plan/fields.py), and so define what "drift" means. The body of a PingOne "Update Application"
request pasted under `spec` is a valid spec. Defaults are not CRD defaults, so nothing is ever
written back into the user's spec. Cross-field rules are CEL rules (`x-kubernetes-validations`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .common import (
    ASCII_TEXT, HTTPS_URL, INT32_MAX, LISTED_URI, MAX_JWKS, MAX_POST_LOGOUT_URIS, MAX_URIS, MOBILE_ID, ORIGIN,
    PINGONE_ID, URI, StrEnum, _cel,
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
