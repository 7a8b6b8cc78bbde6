"""The PingOne request body a spec stands for, and what "differs" means.

PUT is a full replacement, so the body carries every field the model knows with defaults explicit.
A field the user left out and that has no default (e.g. `accessControl`) is not sent and not
compared: PingOne may fill it, and the operator does not own it.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from .models import ApplicationSettings, GrantType

# PingOne leaves some fields out of its answers when they hold their default (the seed response
# has no `hiddenFromAppPortal`, for instance): an absent field equals the model's default.
MODEL_DEFAULTS = {
    name: default.value if isinstance(default, Enum) else default
    for name, field in ApplicationSettings.model_fields.items()
    if not field.is_required() and (default := field.get_default()) is not None
}
# Sent only when creating; PingOne ignores them on PUT, so they are never compared.
CREATE_ONLY_FIELDS = frozenset({"assignActorRoles"})
# PingOne cannot clear these once set; with refresh tokens we always send a value.
REFRESH_DEFAULTS = {"refreshTokenDuration": 2592000, "refreshTokenRollingDuration": 15552000}


def desired_body(app: ApplicationSettings, *, for_create: bool = False) -> dict[str, Any]:
    body = app.model_dump(mode="json", exclude_none=True)
    if GrantType.REFRESH_TOKEN.value in body["grantTypes"]:
        for key, default in REFRESH_DEFAULTS.items():
            body.setdefault(key, default)
        # An explicit duration longer than the default rolling one needs a rolling one to match.
        if body["refreshTokenDuration"] > body["refreshTokenRollingDuration"]:
            body["refreshTokenRollingDuration"] = body["refreshTokenDuration"]
    if not for_create:
        for key in CREATE_ONLY_FIELDS:
            body.pop(key, None)
    return body


def _normalise(value: Any) -> Any:
    """Lists of scalars compare as sets (PingOne does not keep their order); dicts recursively."""
    if isinstance(value, list):
        items = [_normalise(v) for v in value]
        if all(isinstance(v, (str, int, float, bool)) for v in items):
            return sorted(set(items), key=repr)
        return items
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    return value


def differences(desired: dict[str, Any], observed: dict[str, Any], defaults: dict[str, Any] | None = None) -> list[str]:
    """Names of the desired fields whose observed value differs, sorted."""
    defaults = MODEL_DEFAULTS if defaults is None else defaults
    drifted = []
    for key, want in desired.items():
        if key in CREATE_ONLY_FIELDS:
            continue
        have = observed.get(key, _normalise(defaults.get(key)))
        if isinstance(want, dict) and isinstance(have, dict):
            # Nested objects: only the keys we send are ours (PingOne may add e.g. ids or links).
            nested = differences(want, have, defaults={})
            drifted += [f"{key}.{n}" for n in nested]
        elif _normalise(want) != _normalise(have):
            drifted.append(key)
    return sorted(drifted)
