"""Kubernetes-style conditions, computed as a whole list so a status write is one merge-patch."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_condition(
    conditions: list[dict[str, Any]] | None,
    type_: str,
    status: bool,
    reason: str,
    message: str,
    generation: int | None,
) -> list[dict[str, Any]]:
    """The list with `type_` set; lastTransitionTime changes only when the status flips."""
    text = "True" if status else "False"
    existing = {c.get("type"): c for c in conditions or []}
    old = existing.get(type_)
    if old and old.get("status") == text and old.get("reason") == reason and old.get("message") == message \
            and old.get("observedGeneration") == generation:
        return list(conditions or [])
    changed = not old or old.get("status") != text
    new = {
        "type": type_,
        "status": text,
        "reason": reason,
        "message": message[:1024],
        "lastTransitionTime": now_rfc3339() if changed else old.get("lastTransitionTime", now_rfc3339()),
        "observedGeneration": generation,
    }
    result = [c for c in conditions or [] if c.get("type") != type_]
    result.append(new)
    return sorted(result, key=lambda c: c.get("type", ""))


def condition(status: dict[str, Any] | None, type_: str) -> dict[str, Any] | None:
    for c in (status or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None
