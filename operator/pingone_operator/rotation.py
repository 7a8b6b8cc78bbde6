"""When to rotate a client secret: pure decisions over the spec, the status and the clock.

A rotation is due when `spec.secretRotation.trigger` differs from the trigger last acted on, or
when the secret is older than `everySeconds`. The first trigger a resource ever shows is a
baseline, not a change: adding `secretRotation` to a resource does not rotate by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from .models import SecretRotation


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rotation_due(rotation: SecretRotation | None, state: dict[str, Any], secret_since: str | None,
                 now: datetime) -> str | None:
    """Why a rotation is due ("trigger" or "schedule"), or None."""
    if rotation is None:
        return None
    recorded = state.get("trigger")
    if rotation.trigger is not None and recorded is not None and rotation.trigger != recorded:
        return "trigger"
    since = parse_time(state.get("lastRotatedAt")) or parse_time(secret_since)
    if rotation.everySeconds and since and now - since >= timedelta(seconds=rotation.everySeconds):
        return "schedule"
    return None

