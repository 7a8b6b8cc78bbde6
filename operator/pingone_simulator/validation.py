"""Validate an OIDC application body and build the stored representation.

`build_application` applies PingOne's create (POST) and full-replacement (PUT) rules: field
types, enums, ranges, cross-field rules, server defaults, immutable fields. Rules the research
marks as inferred [I] run only in strict mode. Name uniqueness and the per-environment limit
need the whole environment, so the store checks those.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from .errors import detail

APP_TYPES = ["WEB_APP", "NATIVE_APP", "SINGLE_PAGE_APP", "WORKER", "SERVICE", "CUSTOM_APP"]
PROTOCOLS = ["OPENID_CONNECT", "SAML", "WS_FED", "EXTERNAL_LINK"]
GRANT_TYPES = ["AUTHORIZATION_CODE", "IMPLICIT", "REFRESH_TOKEN", "CLIENT_CREDENTIALS", "DEVICE_CODE",
               "TOKEN_EXCHANGE", "CIBA"]
RESPONSE_TYPES = ["TOKEN", "ID_TOKEN", "CODE"]
AUTH_METHODS = ["NONE", "CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "PRIVATE_KEY_JWT", "CLIENT_SECRET_JWT"]
PKCE = ["OPTIONAL", "REQUIRED", "S256_REQUIRED"]
PAR = ["REQUIRED", "OPTIONAL"]
REFRESH_TOKEN_TYPES = ["JSON_WEB_TOKEN", "OPAQUE_TOKEN"]
CORS_BEHAVIORS = ["ALLOW_NO_ORIGINS", "ALLOW_SPECIFIC_ORIGINS"]
TAGS = ["PING_FED_CONNECTION_INTEGRATION"]
ACCESS_ROLE_TYPES = ["ADMIN_USERS_ONLY"]
ACCESS_GROUP_TYPES = ["ANY_GROUP", "ALL_GROUPS"]
INT32_MAX = 2147483647
DEVICE_PATH_PATTERN = "^[a-zA-Z0-9_-]{1,50}$"
WILDCARD_MESSAGE = ("Wildcards are not allowed in redirect URIs. Set allowWildcardInRedirectUris to true "
                    "to allow them.")

ENUMS: dict[str, list[str]] = {
    "type": APP_TYPES, "protocol": PROTOCOLS, "tokenEndpointAuthMethod": AUTH_METHODS,
    "pkceEnforcement": PKCE, "parRequirement": PAR, "refreshTokenType": REFRESH_TOKEN_TYPES,
}
ENUM_LISTS: dict[str, list[str]] = {"grantTypes": GRANT_TYPES, "responseTypes": RESPONSE_TYPES, "tags": TAGS}
STRINGS = ["name", "description", "homePageUrl", "loginPageUrl", "initiateLoginUri", "targetLinkUri", "jwks",
           "jwksUrl", "devicePathId", "deviceCustomVerificationUri"]
STRING_LISTS = ["redirectUris", "postLogoutRedirectUris"]
BOOLEANS = ["enabled", "hiddenFromAppPortal", "allowWildcardInRedirectUris",
            "additionalRefreshTokenReplayProtectionEnabled", "requireSignedRequestObject",
            "supportUnsignedRequestObject", "idpSignoff", "includeX5t", "opSessionCheckEnabled",
            "requestScopesForMultipleResourcesEnabled"]
RANGES: dict[str, tuple[int, int]] = {
    "parTimeout": (1, 600),
    "refreshTokenDuration": (60, INT32_MAX),
    "refreshTokenRollingDuration": (60, INT32_MAX),
    "refreshTokenRollingGracePeriodDuration": (0, 86400),
    "devicePollingInterval": (1, 60),
    "deviceTimeout": (1, 3600),
}
OBJECTS = ["icon", "accessControl", "corsSettings", "signing", "mobile", "kerberos", "template"]
WRITABLE = set(STRINGS) | set(STRING_LISTS) | set(BOOLEANS) | set(RANGES) | set(ENUMS) | set(ENUM_LISTS) | set(OBJECTS)
READ_ONLY = {"id", "environment", "createdAt", "updatedAt", "_links", "clientId", "clientSecret"}
POST_ONLY = {"assignActorRoles"}
REQUIRED = ["name", "enabled", "type", "protocol", "tokenEndpointAuthMethod"]
# Values PingOne fills in when the request leaves them out (seed-response.json).
SERVER_DEFAULTS: dict[str, Any] = {
    "pkceEnforcement": "OPTIONAL",
    "requestScopesForMultipleResourcesEnabled": False,
    "parRequirement": "OPTIONAL",
    "devicePollingInterval": 5,
    "parTimeout": 60,
    "deviceTimeout": 600,
}
REPLAY_PROTECTION = "additionalRefreshTokenReplayProtectionEnabled"
NON_NULLABLE_ONCE_SET = ["refreshTokenDuration", "refreshTokenRollingDuration"]
MOBILE_IMMUTABLE_IDS = ["bundleId", "packageName", "huaweiAppId", "huaweiPackageName"]
USER_GRANTS_FOR_REFRESH = {"AUTHORIZATION_CODE", "DEVICE_CODE", "CIBA", "TOKEN_EXCHANGE"}
SIGNING_TYPES = {"WORKER", "WEB_APP", "NATIVE_APP", "SINGLE_PAGE_APP", "CUSTOM_APP"}
# Response key order follows seed-response.json; anything else comes after, alphabetically.
KEY_ORDER = ["_links", "environment", "id", "name", "description", "enabled", "type", "protocol", "createdAt",
             "updatedAt", "clientId", "assignActorRoles", "responseTypes", "grantTypes", "tokenEndpointAuthMethod",
             "pkceEnforcement", "requestScopesForMultipleResourcesEnabled", "parRequirement",
             "devicePollingInterval", "redirectUris", "parTimeout", "deviceTimeout"]

_ORIGIN = re.compile(r"^https?://(\*\.)?([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(:\d{1,5})?/?$")


class Problems(list):
    """Collected P1Error details."""

    def add(self, code: str, target: str | None, message: str, **inner: Any) -> None:
        self.append(detail(code, target, message, **inner))


def build_application(
    body: Any, *, existing: dict[str, Any] | None = None, strict: bool = False
) -> tuple[dict[str, Any], Problems]:
    """Return (writable fields with defaults, problems). `existing` is the stored app on PUT."""
    problems = Problems()
    if not isinstance(body, dict):
        problems.add("INVALID_VALUE", None, "The request body must be a JSON object.")
        return {}, problems
    creating = existing is None
    if creating and ("clientId" in body or "clientSecret" in body):
        # Importing client credentials needs an environment feature flag the simulator never sets.
        problems.add("INVALID_VALUE", "clientId" if "clientId" in body else "clientSecret",
                     "Importing applications with a client ID and secret is not enabled for this environment.")
    if strict:
        for key in body:
            if key not in WRITABLE | READ_ONLY | POST_ONLY:
                problems.add("INVALID_VALUE", key, f"Unrecognized property '{key}'.")

    # Null is treated as "not sent"; the refresh-duration rule below looks at the raw body.
    sent = {k: v for k, v in body.items() if k in WRITABLE and v is not None}
    for key in REQUIRED:
        if key not in sent:
            problems.add("REQUIRED_VALUE", key, f"{key} is required.")
    _check_types(sent, problems, strict)
    if problems:
        return {}, problems

    app: dict[str, Any] = dict(sent)
    if app["protocol"] != "OPENID_CONNECT":
        problems.add("INVALID_VALUE", "protocol", "The simulator supports OPENID_CONNECT applications only.",
                     allowedValues=["OPENID_CONNECT"])
    if existing is not None:
        for key in ("type", "protocol"):
            if app.get(key) != existing.get(key):
                problems.add("INVALID_VALUE", key, f"{key} cannot be changed once the application is created.")
        for key in NON_NULLABLE_ONCE_SET:
            if existing.get(key) is not None and key not in sent:
                problems.add("INVALID_VALUE", key, f"Once specified, {key} cannot be nullified")
        _check_mobile_ids(existing.get("mobile"), app.get("mobile"), problems)
    _check_rules(app, problems, strict)

    for key, value in SERVER_DEFAULTS.items():
        app.setdefault(key, value)
    if REPLAY_PROTECTION not in app:
        # OpenAPI: default true, but "setting this to null equates to a false setting". Only an
        # omitted field on POST takes the default; a PUT replaces everything, so there omitted is null.
        app[REPLAY_PROTECTION] = creating and REPLAY_PROTECTION not in body
    if creating:
        actor = body.get("assignActorRoles")
        if actor is not None and not isinstance(actor, bool):
            problems.add("INVALID_VALUE", "assignActorRoles", "assignActorRoles must be a boolean.")
        app["assignActorRoles"] = bool(actor) if isinstance(actor, bool) else False
    else:
        app["assignActorRoles"] = existing.get("assignActorRoles", False)  # POST only; ignored on PUT
    if app["type"] == "WORKER":
        role = app.setdefault("accessControl", {}).setdefault("role", {})
        role.setdefault("type", "ADMIN_USERS_ONLY")
    return app, problems


def order_keys(app: dict[str, Any]) -> dict[str, Any]:
    ordered = {k: app[k] for k in KEY_ORDER if k in app}
    ordered.update({k: app[k] for k in sorted(app) if k not in ordered})
    return ordered


def _check_types(sent: dict[str, Any], problems: Problems, strict: bool) -> None:
    for key, value in sent.items():
        if key in STRINGS and not isinstance(value, str):
            problems.add("INVALID_VALUE", key, f"{key} must be a string.")
        elif key in BOOLEANS and not isinstance(value, bool):
            problems.add("INVALID_VALUE", key, f"{key} must be a boolean.")
        elif key in ENUMS:
            _check_enum(key, value, ENUMS[key], problems)
        elif key in ENUM_LISTS:
            if not _is_list_of_str(value):
                problems.add("INVALID_VALUE", key, f"{key} must be an array of strings.")
            else:
                for item in value:
                    _check_enum(key, item, ENUM_LISTS[key], problems)
        elif key in STRING_LISTS and not _is_list_of_str(value):
            problems.add("INVALID_VALUE", key, f"{key} must be an array of strings.")
        elif key in RANGES:
            low, high = RANGES[key]
            if isinstance(value, bool) or not isinstance(value, int):
                problems.add("INVALID_VALUE", key, f"{key} must be an integer.")
            elif not low <= value <= high:
                problems.add("OUT_OF_RANGE", key, f"{key} must be between {low} and {high}.",
                             rangeMinimumValue=low, rangeMaximumValue=high)
        elif key in OBJECTS and not isinstance(value, dict):
            problems.add("INVALID_VALUE", key, f"{key} must be an object.")
    if isinstance(sent.get("name"), str) and not sent["name"].strip():
        problems.add("EMPTY_VALUE", "name", "name must not be empty.")
    if isinstance(sent.get("devicePathId"), str) and not re.match(DEVICE_PATH_PATTERN, sent["devicePathId"]):
        problems.add("INVALID_VALUE", "devicePathId", "devicePathId does not match the allowed pattern.",
                     allowedPattern=DEVICE_PATH_PATTERN)
    _check_objects(sent, problems, strict)


def _check_enum(key: str, value: Any, allowed: list[str], problems: Problems) -> None:
    if value not in allowed:
        problems.add("INVALID_VALUE", key, f"{value!r} is not a valid value for {key}.", allowedValues=allowed)


def _is_list_of_str(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _check_objects(sent: dict[str, Any], problems: Problems, strict: bool) -> None:
    icon = sent.get("icon")
    if isinstance(icon, dict):
        for key in ("id", "href"):
            if not isinstance(icon.get(key), str):
                problems.add("REQUIRED_VALUE", f"icon.{key}", f"icon.{key} is required.")
    access = sent.get("accessControl")
    if isinstance(access, dict):
        role = access.get("role")
        if role is not None:
            if not isinstance(role, dict) or "type" not in role:
                problems.add("REQUIRED_VALUE", "accessControl.role.type", "accessControl.role.type is required.")
            else:
                _check_enum("accessControl.role.type", role["type"], ACCESS_ROLE_TYPES, problems)
        group = access.get("group")
        if group is not None:
            if not isinstance(group, dict) or "type" not in group or not isinstance(group.get("groups"), list):
                problems.add("REQUIRED_VALUE", "accessControl.group",
                             "accessControl.group needs type and groups.")
            else:
                _check_enum("accessControl.group.type", group["type"], ACCESS_GROUP_TYPES, problems)
                if not all(isinstance(g, dict) and isinstance(g.get("id"), str) for g in group["groups"]):
                    problems.add("INVALID_VALUE", "accessControl.group.groups", "Each group needs an id.")
    signing = sent.get("signing")
    if isinstance(signing, dict):
        policy = signing.get("keyRotationPolicy")
        if not isinstance(policy, dict) or not isinstance(policy.get("id"), str):
            problems.add("REQUIRED_VALUE", "signing.keyRotationPolicy.id",
                         "signing.keyRotationPolicy.id is required when signing is set.")
    kerberos = sent.get("kerberos")
    if isinstance(kerberos, dict):
        key = kerberos.get("key")
        if not isinstance(key, dict) or not isinstance(key.get("id"), str):
            problems.add("REQUIRED_VALUE", "kerberos.key.id", "kerberos.key.id is required.")
    cors = sent.get("corsSettings")
    if isinstance(cors, dict):
        _check_cors(cors, problems, strict)
    mobile = sent.get("mobile")
    if isinstance(mobile, dict):
        _check_passcode(mobile.get("passcodeRefreshDuration"), problems)


def _check_passcode(passcode: Any, problems: Problems) -> None:
    """OpenAPI: passcodeRefreshDuration.duration 30-60, timeUnit SECONDS only."""
    if passcode is None:
        return
    if not isinstance(passcode, dict):
        problems.add("INVALID_VALUE", "mobile.passcodeRefreshDuration", "passcodeRefreshDuration must be an object.")
        return
    duration = passcode.get("duration")
    if not isinstance(duration, int) or isinstance(duration, bool) or not 30 <= duration <= 60:
        problems.add("INVALID_VALUE", "mobile.passcodeRefreshDuration.duration",
                     "passcodeRefreshDuration.duration must be between 30 and 60.", minimumValue=30, maximumValue=60)
    if passcode.get("timeUnit", "SECONDS") != "SECONDS":
        problems.add("INVALID_VALUE", "mobile.passcodeRefreshDuration.timeUnit",
                     "passcodeRefreshDuration.timeUnit must be SECONDS.", allowedValues=["SECONDS"])


def _check_cors(cors: dict[str, Any], problems: Problems, strict: bool) -> None:
    behavior = cors.get("behavior")
    if behavior is None:
        problems.add("REQUIRED_VALUE", "corsSettings.behavior", "corsSettings.behavior is required.")
        return
    _check_enum("corsSettings.behavior", behavior, CORS_BEHAVIORS, problems)
    origins = cors.get("origins") or []
    if not _is_list_of_str(origins):
        problems.add("INVALID_VALUE", "corsSettings.origins", "corsSettings.origins must be an array of strings.")
        return
    if behavior == "ALLOW_SPECIFIC_ORIGINS" and not origins:
        problems.add("REQUIRED_VALUE", "corsSettings.origins",
                     "corsSettings.origins must be non-empty when behavior is ALLOW_SPECIFIC_ORIGINS.")
    if behavior == "ALLOW_NO_ORIGINS" and origins:
        problems.add("INVALID_VALUE", "corsSettings.origins",
                     "corsSettings.origins must be omitted or empty when behavior is ALLOW_NO_ORIGINS.")
    limit = 20  # the OpenAPI's maxItems (the Terraform docs say 40; the API wins)
    if len(origins) > limit:
        problems.add("SIZE_LIMIT_EXCEEDED", "corsSettings.origins",
                     f"corsSettings.origins is limited to {limit} values.", maximumValue=limit)
    for origin in origins:
        if not _ORIGIN.match(origin):
            problems.add("INVALID_VALUE", "corsSettings.origins",
                         f"{origin!r} is not an http or https origin without a path.")


def _check_mobile_ids(before: Any, after: Any, problems: Problems) -> None:
    if not isinstance(before, dict):
        return
    after = after if isinstance(after, dict) else {}
    for key in MOBILE_IMMUTABLE_IDS:
        if before.get(key) is not None and after.get(key) != before.get(key):
            problems.add("INVALID_VALUE", f"mobile.{key}", f"mobile.{key} cannot be changed once set.")


def _check_rules(app: dict[str, Any], problems: Problems, strict: bool) -> None:
    method = app["tokenEndpointAuthMethod"]
    has_jwks, has_url = bool(app.get("jwks")), bool(app.get("jwksUrl"))
    if has_jwks and has_url:
        problems.add("INVALID_VALUE", "jwksUrl", "jwks and jwksUrl cannot both be set.")
    elif method == "PRIVATE_KEY_JWT" and not (has_jwks or has_url):
        problems.add("REQUIRED_VALUE", "jwks",
                     "jwks or jwksUrl is required when tokenEndpointAuthMethod is PRIVATE_KEY_JWT.")
    if has_url and urlsplit(app["jwksUrl"]).scheme != "https":
        problems.add("INVALID_VALUE", "jwksUrl", "jwksUrl must be an https URL.")
    if strict and has_jwks and not _is_jwks(app["jwks"]):
        problems.add("INVALID_VALUE", "jwks", "jwks must be a JSON Web Key Set string.")

    duration, rolling = app.get("refreshTokenDuration"), app.get("refreshTokenRollingDuration")
    if duration is not None and rolling is not None and duration > rolling:
        problems.add("INVALID_VALUE", "refreshTokenDuration",
                     "refreshTokenDuration must be less than or equal to refreshTokenRollingDuration.")
    if app.get("requireSignedRequestObject") and app.get("supportUnsignedRequestObject"):
        problems.add("INVALID_VALUE", "requireSignedRequestObject",
                     "requireSignedRequestObject and supportUnsignedRequestObject cannot both be true.")

    wildcard_ok = app.get("allowWildcardInRedirectUris", False)
    for uri in app.get("redirectUris", []):
        if "*" in uri and not wildcard_ok:
            problems.add("INVALID_VALUE", "redirectUris", WILDCARD_MESSAGE)
        elif not _uri_allowed(uri, http_anywhere=False):
            problems.add("INVALID_VALUE", "redirectUris",
                         f"{uri!r} must use https, http on localhost/127.0.0.1, or a custom scheme.")
    for uri in app.get("postLogoutRedirectUris", []):
        if not _uri_allowed(uri, http_anywhere=True):
            problems.add("INVALID_VALUE", "postLogoutRedirectUris", f"{uri!r} is not a valid URI.")
    if strict:
        _check_inferred(app, problems)


def _uri_allowed(uri: str, *, http_anywhere: bool) -> bool:
    parts = urlsplit(uri.replace("*", "x"))
    scheme = parts.scheme.lower()
    if not scheme:
        return False
    if scheme == "https":
        return bool(parts.hostname)
    if scheme == "http":
        return bool(parts.hostname) and (http_anywhere or parts.hostname in ("localhost", "127.0.0.1", "::1"))
    return bool(parts.netloc or parts.path)  # custom scheme, e.g. org.example.app://callback


def _is_jwks(text: str) -> bool:
    try:
        parsed = json.loads(text)
    except ValueError:
        return False
    return isinstance(parsed, dict) and isinstance(parsed.get("keys"), list)


def _check_inferred(app: dict[str, Any], problems: Problems) -> None:
    """[I] rules: standard OAuth couplings and type restrictions not confirmed by a Ping source."""
    grants = set(app.get("grantTypes", []))
    responses = set(app.get("responseTypes", []))
    kind, method = app["type"], app["tokenEndpointAuthMethod"]
    if not grants:
        problems.add("REQUIRED_VALUE", "grantTypes", "grantTypes is required.")
    if "REFRESH_TOKEN" in grants and not grants & USER_GRANTS_FOR_REFRESH:
        problems.add("INVALID_VALUE", "grantTypes", "REFRESH_TOKEN requires a grant that issues refresh tokens.")
    if "CODE" in responses and "AUTHORIZATION_CODE" not in grants:
        problems.add("INVALID_VALUE", "responseTypes", "Response type CODE requires the AUTHORIZATION_CODE grant.")
    if responses & {"TOKEN", "ID_TOKEN"} and "IMPLICIT" not in grants:
        problems.add("INVALID_VALUE", "responseTypes", "Response types TOKEN/ID_TOKEN require the IMPLICIT grant.")
    if "AUTHORIZATION_CODE" in grants and "CODE" not in responses:
        problems.add("REQUIRED_VALUE", "responseTypes", "The AUTHORIZATION_CODE grant requires response type CODE.")
    if "IMPLICIT" in grants and not responses & {"TOKEN", "ID_TOKEN"}:
        problems.add("REQUIRED_VALUE", "responseTypes", "The IMPLICIT grant requires response type TOKEN or ID_TOKEN.")
    if grants & {"AUTHORIZATION_CODE", "IMPLICIT"} and not app.get("redirectUris"):
        problems.add("REQUIRED_VALUE", "redirectUris", "redirectUris is required for user-facing grants.")
    if "CLIENT_CREDENTIALS" in grants and method == "NONE":
        problems.add("INVALID_VALUE", "tokenEndpointAuthMethod",
                     "The CLIENT_CREDENTIALS grant needs a confidential client (not NONE).")
    if kind == "SINGLE_PAGE_APP" and method != "NONE":
        problems.add("INVALID_VALUE", "tokenEndpointAuthMethod", "Single-page apps must use NONE.",
                     allowedValues=["NONE"])
    if app.get("tags") and kind != "WORKER":
        problems.add("INVALID_VALUE", "tags", "tags apply to worker applications only.")
    if app.get("signing") and kind not in SIGNING_TYPES:
        problems.add("INVALID_VALUE", "signing", f"signing is not supported for {kind} applications.")
    for key in ("mobile", "kerberos"):
        if app.get(key) and kind != "NATIVE_APP":
            problems.add("INVALID_VALUE", key, f"{key} applies to NATIVE_APP applications only.")
