"""Keep our objects' bodies small: without what nobody here reads, and with shared strings.

Every watch event's body passes through kopf's processing, and the drift checks' index keeps each
object's spec and status for as long as the object lives. Two fields are other clients'
bookkeeping: `metadata.managedFields` (~2 KB of a 4.5 KB body) and client-side `kubectl apply`'s
annotation, a copy of the whole spec; neither kopf (its diff leaves the annotation out) nor this
operator reads them. And a parsed body repeats, object after object, the same keys and short values
(condition types, reasons, messages) as separate strings: sharing them (`sys.intern`) takes a body
from ~8.8 KB to ~3.8 KB of Python objects. Both are done to this operator's own kinds as the watch
stream delivers them, before kopf stores anything.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

from kopf._cogs.clients import watching

from .. import GROUP

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SHARED_UP_TO = 128  # characters: longer strings (descriptions, kopf's spec copy) are rarely repeated


def lean(raw_event: Any) -> Any:
    """The event; if its object is one of this operator's kinds, without the fields above, shared."""
    obj = raw_event.get("object") if isinstance(raw_event, dict) else None
    if isinstance(obj, dict) and str(obj.get("apiVersion", "")).startswith(f"{GROUP}/"):
        metadata = obj.get("metadata") or {}
        metadata.pop("managedFields", None)
        (metadata.get("annotations") or {}).pop(LAST_APPLIED, None)
        raw_event["object"] = shared(obj)
    return raw_event


def shared(value: Any) -> Any:
    """The same JSON value, its keys and short strings interned."""
    if isinstance(value, dict):
        return {sys.intern(k): shared(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shared(v) for v in value]
    if isinstance(value, str) and len(value) <= SHARED_UP_TO:
        return sys.intern(value)
    return value


def leaner(watch: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
    async def lean_watch(**kwargs: Any) -> AsyncIterator[Any]:
        async for raw_event in watch(**kwargs):
            yield lean(raw_event)

    lean_watch.lean_bodies = True  # type: ignore[attr-defined]
    return lean_watch


def install() -> None:
    """Before kopf starts: its watchers look the stream up when each starts."""
    if not getattr(watching.infinite_watch, "lean_bodies", False):
        watching.infinite_watch = leaner(watching.infinite_watch)  # type: ignore[assignment]
