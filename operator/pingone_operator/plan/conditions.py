"""Kubernetes-style conditions, computed as a whole list so a status write is one merge-patch."""

from __future__ import annotations

from datetime import datetime, timezone

from ..api import Condition

MAX_MESSAGE = 1024


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_condition(
    conditions: list[Condition] | None,
    type_: str,
    status: bool,
    reason: str,
    message: str,
    generation: int | None,
) -> list[Condition]:
    """The list with `type_` set; lastTransitionTime changes only when the status flips."""
    text = "True" if status else "False"
    message = message[:MAX_MESSAGE]
    old = next((c for c in conditions or [] if c.type == type_), None)
    if old and (old.status, old.reason, old.message, old.observedGeneration) == (text, reason, message, generation):
        return list(conditions or [])
    changed = not old or old.status != text
    new = Condition(
        type=type_, status=text, reason=reason, message=message,
        lastTransitionTime=now_rfc3339() if changed else old.lastTransitionTime,
        observedGeneration=generation,
    )
    return sorted([c for c in conditions or [] if c.type != type_] + [new], key=lambda c: c.type)
