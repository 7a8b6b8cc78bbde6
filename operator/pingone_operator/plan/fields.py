"""The PingOne request bodies a spec stands for, and what "differs" means: three-way ownership.

PUT is a full replacement: whatever its body leaves out, PingOne clears or resets. So ownership
works like `kubectl apply` (DESIGN.md, research/pingone-pitfalls.md §2-3):

- (a) a field the spec declares is enforced;
- (b) a field the spec has never declared keeps PingOne's current value: every PUT carries it
  over from the GET it was decided on, so no PUT changes a field nobody declared;
- (c) a field that was declared at the last successful sync (status.managedFields) and has since
  left the spec goes back to PingOne's default.

Fields are addressed by dotted paths to their leaves (`corsSettings.origins`); lists are leaves
and compare as sets. Pure functions over plain data: no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..api import OPERATOR_FIELDS, ApplicationSettings, GrantType, PingOneApplicationSpec

# PingOne's defaults, as the model states them (the seed response has no `hiddenFromAppPortal`:
# PingOne leaves some fields out of its answers when they hold their default).
MODEL_DEFAULTS = {
    name: default.value if isinstance(default, Enum) else default
    for name, field in ApplicationSettings.model_fields.items()
    if not field.is_required() and (default := field.get_default()) is not None
}
# Server-managed or read-only (OpenAPI `readOnly`), or create-only (`assignActorRoles` is ignored
# on PUT): never carried from a GET into a body.
SERVER_MANAGED = frozenset({"id", "environment", "createdAt", "updatedAt", "_links", "_embedded", "clientId",
                            "assignActorRoles"})
CREATE_ONLY_FIELDS = frozenset({"assignActorRoles"})
REPLAY_PROTECTION = "additionalRefreshTokenReplayProtectionEnabled"
# Sent on every create, whatever the spec leaves out, because omitting them means something else.
SECURE_CREATE_DEFAULTS: dict[str, Any] = {
    # Ping: a WORKER created through the API inherits its creator's roles unless told otherwise.
    "assignActorRoles": False,
    # OpenAPI: default true, but "setting this to null equates to a false setting".
    REPLAY_PROTECTION: True,
}
# PingOne cannot clear these once set; with refresh tokens a value is always sent.
REFRESH_DEFAULTS = {"refreshTokenDuration": 2592000, "refreshTokenRollingDuration": 15552000}
# What a field goes back to when it leaves the spec (c); a field without one is dropped.
RESET_DEFAULTS: dict[str, Any] = {**MODEL_DEFAULTS, **REFRESH_DEFAULTS, REPLAY_PROTECTION: True}
# What a field left out of a GET holds. PingOne answers a PUT that left replay protection out
# without the field (seed-response.json): absent is null, which "equates to a false setting".
ABSENT_MEANS: dict[str, Any] = {**MODEL_DEFAULTS, REPLAY_PROTECTION: False}
_MISSING = object()


@dataclass(frozen=True)
class Defaults:
    """PingOne's defaults for one kind of object, as three-way ownership needs them."""

    reset: Mapping[str, Any]  # what a field that leaves the spec goes back to (else it is left out)
    absent: Mapping[str, Any]  # what a field missing from a GET holds


APPLICATION_DEFAULTS = Defaults(RESET_DEFAULTS, ABSENT_MEANS)


def declared_fields(spec: PingOneApplicationSpec) -> dict[str, Any]:
    """The PingOne fields the user wrote in the spec, and nothing the model would default."""
    return spec.model_dump(mode="json", exclude_unset=True, exclude_none=True, exclude=set(OPERATOR_FIELDS))


def field_paths(fields: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths of the leaves of `fields` (objects are walked, lists are leaves)."""
    paths = []
    for key, value in fields.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            paths += field_paths(value, f"{path}.")
        else:
            paths.append(path)
    return sorted(paths)


def create_body(spec: PingOneApplicationSpec) -> dict[str, Any]:
    """POST: every model field with its default made explicit, plus the secure create defaults."""
    body = spec.application().model_dump(mode="json", exclude_none=True)
    for key, value in SECURE_CREATE_DEFAULTS.items():
        body.setdefault(key, value)
    return _with_refresh_durations(body)


def update_body(declared: dict[str, Any], observed: dict[str, Any], managed_before: Iterable[str],
                defaults: Defaults = APPLICATION_DEFAULTS) -> dict[str, Any]:
    """PUT: what PingOne has, with the declared fields enforced and the dropped ones reset."""
    body = {k: copy.deepcopy(v) for k, v in observed.items() if k not in SERVER_MANAGED}
    for path in field_paths(declared):
        _set(body, path, _get(declared, path))
    for path in _dropped(declared, managed_before):
        target = _reset_value(path, observed, defaults)
        if target is _MISSING:
            _remove(body, path)
        else:
            _set(body, path, target)
    return _with_refresh_durations(body)


def drifted_fields(declared: dict[str, Any], observed: dict[str, Any], managed_before: Iterable[str] = (),
                   defaults: Defaults = APPLICATION_DEFAULTS) -> list[str]:
    """Paths where PingOne differs from the spec: declared fields (a), and dropped ones not yet
    back at their default (c). Fields nobody declared (b) never count."""
    drifted = [p for p in field_paths(declared) if _normalise(_get(declared, p)) != _observed(observed, p, defaults)]
    for path in _dropped(declared, managed_before):
        target = _reset_value(path, observed, defaults)
        if _observed(observed, path, defaults) != _normalise(None if target is _MISSING else target):
            drifted.append(path)
    return sorted(drifted)


def _dropped(declared: dict[str, Any], managed_before: Iterable[str]) -> list[str]:
    now = set(field_paths(declared))
    return sorted(p for p in set(managed_before) - now if p.split(".")[0] not in SERVER_MANAGED
                  and not any(p.startswith(f"{n}.") or n.startswith(f"{p}.") for n in now))


def _reset_value(path: str, observed: dict[str, Any], defaults: Defaults) -> Any:
    if path not in defaults.reset:
        return _MISSING
    if path in REFRESH_DEFAULTS and _get(observed, path) is _MISSING:
        return _MISSING  # never set, so nothing to reset (and no duration without the grant)
    return defaults.reset[path]


def _with_refresh_durations(body: dict[str, Any]) -> dict[str, Any]:
    if GrantType.REFRESH_TOKEN.value in body.get("grantTypes", []):
        for key, default in REFRESH_DEFAULTS.items():
            body.setdefault(key, default)
        # An explicit duration longer than the default rolling one needs a rolling one to match.
        if body["refreshTokenDuration"] > body["refreshTokenRollingDuration"]:
            body["refreshTokenRollingDuration"] = body["refreshTokenDuration"]
    return body


def _observed(observed: dict[str, Any], path: str, defaults: Defaults) -> Any:
    have = _get(observed, path)
    if have is _MISSING:
        have = defaults.absent.get(path)  # PingOne leaves some fields out when they hold their default
    return _normalise(have)


def _get(doc: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(doc, dict) or key not in doc:
            return _MISSING
        doc = doc[key]
    return doc


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for key in parents:
        if not isinstance(doc.get(key), dict):
            doc[key] = {}
        doc = doc[key]
    doc[leaf] = copy.deepcopy(value)


def _remove(doc: dict[str, Any], path: str) -> None:
    """Drop a leaf, and the objects it leaves empty."""
    key, _, rest = path.partition(".")
    if key not in doc:
        return
    if rest:
        if isinstance(doc[key], dict):
            _remove(doc[key], rest)
            if not doc[key]:
                del doc[key]
    else:
        del doc[key]


def _normalise(value: Any) -> Any:
    """Lists of scalars compare as sets (PingOne does not keep their order); dicts recursively."""
    if value is _MISSING:
        return None
    if isinstance(value, list):
        items = [_normalise(v) for v in value]
        if all(isinstance(v, (str, int, float, bool)) for v in items):
            return sorted(set(items), key=repr)
        return items
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value
