"""Operator configuration from environment variables.

Every variable is documented in the README. A missing or malformed value stops start-up with
one line that names the variable, never the value (it may be a secret).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

# PingOne's regions: the top-level domain of api.pingone.<tld> and auth.pingone.<tld>.
REGIONS = ("com", "eu", "ca", "com.au", "sg", "asia")
TOKEN_AUTH_METHODS = ("CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "CLIENT_SECRET_JWT")


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Secret:
    """A string that never shows itself in repr, str or logs."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "**********"

    __repr__ = __str__


@dataclass(frozen=True)
class PingOneSettings:
    """Where PingOne is and how the operator's worker application signs in."""

    api_url: str  # e.g. https://api.pingone.com/v1
    auth_url: str  # e.g. https://auth.pingone.com
    environment_id: str
    client_id: str
    client_secret: Secret
    token_auth_method: str = "CLIENT_SECRET_BASIC"
    requests_per_second: float = 50.0
    max_concurrency: int = 16
    timeout_seconds: float = 30.0
    ca_bundle: str | None = None  # extra trust for TLS to PingOne (a proxy's CA); never an off switch

    @property
    def token_url(self) -> str:
        return f"{self.auth_url}/{self.environment_id}/as/token"


@dataclass(frozen=True)
class OperatorSettings:
    """Operator behaviour that is not about PingOne itself."""

    drift_interval_seconds: float = 600.0
    secret_check_interval_seconds: float = 3600.0
    watch_namespaces: tuple[str, ...] = ()  # empty: all namespaces
    operator_namespace: str = "pingone-operator"  # where PingOneConnection credentials Secrets live
    log_level: str = "INFO"
    # The default connection (the operator's own credentials), scoped like a PingOneConnection.
    default_allowed_namespaces: tuple[str, ...] = ()  # empty: every namespace the operator watches
    default_allowed_environments: tuple[str, ...] = ()  # empty: PINGONE_ENVIRONMENT_ID only
    require_connection_ref: bool = False  # True: no default connection at all
    adoption_allowed_namespaces: tuple[str, ...] = ()  # empty: adoption is off
    adoption_allowed_application_ids: tuple[str, ...] = ()  # empty: any id, in allowed namespaces
    default_allowed_roles: tuple[str, ...] = ()  # role names WORKER applications may be given; none by default
    delete_give_up_seconds: float = 600.0  # then a deletion that cannot reach PingOne is abandoned
    resync_min_interval_seconds: float = 30.0  # per resource, so the annotation cannot drain the budget
    # kopf peering (a standby replica): None runs standalone, as one replica must.
    peering_name: str | None = None
    peering_priority: int | None = None  # None: from the start time (the oldest replica is active)
    peering_lifetime_seconds: int = 15  # a killed active replica is taken over after at most this


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value.strip() if value and value.strip() else None


def _require(env: Mapping[str, str], name: str) -> str:
    value = _get(env, name)
    if value is None:
        raise ConfigError(f"{name} is required but not set")
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = _get(env, name) or default
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, e.g. {default}")
    return value.rstrip("/")


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _uuid(env: Mapping[str, str], name: str) -> str:
    value = _require(env, name)
    try:
        uuid.UUID(value)
    except ValueError:
        raise ConfigError(f"{name} must be a PingOne id (a UUID), got {value!r}") from None
    return value


def load_pingone_settings(env: Mapping[str, str] | None = None) -> PingOneSettings:
    env = os.environ if env is None else env
    region = _get(env, "PINGONE_REGION") or "com"
    if region not in REGIONS:
        raise ConfigError(f"PINGONE_REGION must be one of {', '.join(REGIONS)}, got {region!r}")
    method = (_get(env, "PINGONE_TOKEN_AUTH_METHOD") or "CLIENT_SECRET_BASIC").upper()
    if method not in TOKEN_AUTH_METHODS:
        raise ConfigError(
            f"PINGONE_TOKEN_AUTH_METHOD must be one of {', '.join(TOKEN_AUTH_METHODS)}, got {method!r}"
        )
    return PingOneSettings(
        api_url=_url(env, "PINGONE_API_URL", f"https://api.pingone.{region}/v1"),
        auth_url=_url(env, "PINGONE_AUTH_URL", f"https://auth.pingone.{region}"),
        environment_id=_uuid(env, "PINGONE_ENVIRONMENT_ID"),
        client_id=_require(env, "PINGONE_CLIENT_ID"),
        client_secret=Secret(_require(env, "PINGONE_CLIENT_SECRET")),
        token_auth_method=method,
        requests_per_second=_number(env, "PINGONE_REQUESTS_PER_SECOND", 50.0, 0.1),
        max_concurrency=int(_number(env, "PINGONE_MAX_CONCURRENCY", 16, 1)),
        timeout_seconds=_number(env, "PINGONE_TIMEOUT_SECONDS", 30.0, 1),
        ca_bundle=_file(env, "PINGONE_CA_BUNDLE"),
    )


def _file(env: Mapping[str, str], name: str) -> str | None:
    path = _get(env, name)
    if path is not None and not os.path.isfile(path):
        raise ConfigError(f"{name} must name a readable file, got {path!r}")
    return path


NAMESPACE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # a DNS label


def load_operator_settings(env: Mapping[str, str] | None = None) -> OperatorSettings:
    env = os.environ if env is None else env
    namespaces = _namespaces(env, "WATCH_NAMESPACES")
    level = (_get(env, "LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    operator_namespace = _get(env, "OPERATOR_NAMESPACE") or "pingone-operator"
    if not NAMESPACE_NAME.match(operator_namespace):
        raise ConfigError(f"OPERATOR_NAMESPACE is not a valid namespace name: {operator_namespace!r}")
    return OperatorSettings(
        operator_namespace=operator_namespace,
        drift_interval_seconds=_number(env, "DRIFT_INTERVAL_SECONDS", 600.0, 1),
        secret_check_interval_seconds=_number(env, "SECRET_CHECK_INTERVAL_SECONDS", 3600.0, 1),
        watch_namespaces=namespaces,
        log_level=level,
        default_allowed_namespaces=_namespaces(env, "DEFAULT_CONNECTION_ALLOWED_NAMESPACES"),
        default_allowed_environments=_uuids(env, "DEFAULT_CONNECTION_ALLOWED_ENVIRONMENTS"),
        require_connection_ref=_flag(env, "REQUIRE_CONNECTION_REF"),
        adoption_allowed_namespaces=_namespaces(env, "ADOPTION_ALLOWED_NAMESPACES"),
        adoption_allowed_application_ids=_uuids(env, "ADOPTION_ALLOWED_APPLICATION_IDS"),
        default_allowed_roles=_list(env, "DEFAULT_CONNECTION_ALLOWED_ROLES"),
        delete_give_up_seconds=_number(env, "DELETE_GIVE_UP_SECONDS", 600.0, 0),
        resync_min_interval_seconds=_number(env, "RESYNC_MIN_INTERVAL_SECONDS", 30.0, 0),
        peering_name=_peering_name(env),
        peering_priority=_integer(env, "PEERING_PRIORITY"),
        # kopf renews 5-10 s before the lifetime ends: less than 10 s would renew every second.
        peering_lifetime_seconds=int(_number(env, "PEERING_LIFETIME_SECONDS", 15, 10)),
    )


_OBJECT_NAME = re.compile(r"^[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?$")


def _peering_name(env: Mapping[str, str]) -> str | None:
    name = _get(env, "PEERING_NAME")
    if name is not None and not _OBJECT_NAME.match(name):
        raise ConfigError(f"PEERING_NAME is not a valid object name: {name!r}")
    return name


def _integer(env: Mapping[str, str], name: str) -> int | None:
    raw = _get(env, name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in (_get(env, name) or "").split(",") if n.strip())


def _namespaces(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    names = _list(env, name)
    for namespace in names:
        if not NAMESPACE_NAME.match(namespace):
            raise ConfigError(f"{name} has an invalid namespace name {namespace!r}")
    return names


def _uuids(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    ids = _list(env, name)
    for value in ids:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ConfigError(f"{name} must list PingOne ids (UUIDs), got {value!r}") from None
    return ids


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = (_get(env, name) or "false").lower()
    if raw not in ("true", "false"):
        raise ConfigError(f"{name} must be true or false, got {raw!r}")
    return raw == "true"
