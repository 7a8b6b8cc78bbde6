"""Kubernetes-style conditions, computed as a whole list so a status write is one merge-patch."""

from __future__ import annotations

from datetime import datetime, timezone

from ..api import Condition

MAX_MESSAGE = 1024


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_condition(conditions: list[Condition] | None, type_: str) -> Condition | None:
    return next((c for c in conditions or [] if c.type == type_), None)


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
    old = find_condition(conditions, type_)
    if old and (old.status, old.reason, old.message, old.observedGeneration) == (text, reason, message, generation):
        return list(conditions or [])
    changed = not old or old.status != text
    new = Condition(
        type=type_, status=text, reason=reason, message=message,
        lastTransitionTime=now_rfc3339() if changed else old.lastTransitionTime,
        observedGeneration=generation,
    )
    return sorted([c for c in conditions or [] if c.type != type_] + [new], key=lambda c: c.type)


def progress(conditions: list[Condition] | None, phase: str, reason: str, message: str,
             generation: int | None) -> list[Condition]:
    """kstatus's conditions (Flux, kpt, cli-utils read these): Reconciling=True while the operator
    is still working on the spec (creating, or retrying a transient failure), Stalled=True when it
    cannot go on until the spec changes; both False once done. `phase`: done, working or stalled."""
    working, stalled = phase == "working", phase == "stalled"
    conditions = set_condition(conditions, "Reconciling", working, reason if working else "Done",
                               message if working else "nothing left to do", generation)
    return set_condition(conditions, "Stalled", stalled, reason if stalled else "Progressing",
                         message if stalled else "no failure that needs a spec change", generation)
