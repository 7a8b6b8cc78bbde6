"""When to rotate a client secret, and how to recognise an interrupted rotation: pure decisions
over the spec, the status and the clock.

A rotation is due when `spec.secretRotation.trigger` differs from the trigger last acted on, or
when the secret is older than `everySeconds`. The first trigger a resource ever shows is a
baseline, not a change: adding `secretRotation` to a resource does not rotate by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..api import SecretRotation, SecretRotationStatus

# How long after its intent is recorded a rotation may reach PingOne (pacing, 429 pauses, retries).
SEND_WINDOW = timedelta(minutes=10)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def with_baseline(rotation: SecretRotation, state: SecretRotationStatus) -> SecretRotationStatus:
    """The first trigger a resource shows is recorded as the baseline, not acted on."""
    if state.trigger is None and rotation.trigger is not None and not state.pendingExpiresAt:
        return state.model_copy(update={"trigger": rotation.trigger})
    return state


def rotation_due(rotation: SecretRotation | None, state: SecretRotationStatus, secret_since: str | None,
                 now: datetime) -> str | None:
    """Why a rotation is due ("trigger" or "schedule"), or None."""
    if rotation is None:
        return None
    recorded = state.trigger
    if rotation.trigger is not None and recorded is not None and rotation.trigger != recorded:
        return "trigger"
    since = parse_time(state.lastRotatedAt) or parse_time(secret_since)
    if rotation.everySeconds and since and now - since >= timedelta(seconds=rotation.everySeconds):
        return "schedule"
    return None


def intent(rotation: SecretRotation, state: SecretRotationStatus, now: datetime) -> SecretRotationStatus:
    """The state to record before the rotation request: the earliest expiry it can carry tells our
    rotation apart after a crash."""
    pending = format_time(now + timedelta(seconds=rotation.overlapSeconds))
    return state.model_copy(update={"pendingTrigger": rotation.trigger, "pendingExpiresAt": pending})


def sent_by_intent(shown: str | None, pending: str | None) -> bool:
    """PingOne's previous.expiresAt is the one our in-flight rotation sent: computed at send time,
    so at or after the recorded earliest value, and not long after it."""
    moment, earliest = parse_time(shown), parse_time(pending)
    if moment is None or earliest is None:
        return False
    return timedelta(seconds=-1) <= moment - earliest <= SEND_WINDOW


def rotated(state: SecretRotationStatus, expires: str | None, now: datetime) -> SecretRotationStatus:
    trigger = state.pendingTrigger if state.pendingTrigger is not None else state.trigger
    return SecretRotationStatus(trigger=trigger, lastRotatedAt=format_time(now), previousExpiresAt=expires)


def previous_expired(has_previous: bool, state: SecretRotationStatus | None, now: datetime) -> bool:
    """The Secret still carries a previous secret whose overlap has ended: time to drop it."""
    if not has_previous:
        return False
    expires = parse_time(state.previousExpiresAt if state else None)
    return expires is None or expires <= now
