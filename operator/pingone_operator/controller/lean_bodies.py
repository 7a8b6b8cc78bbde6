"""Keep only what the operator reads of its objects: no `metadata.managedFields`, no client-side
apply's `last-applied-configuration` copy.

kopf keeps each object's latest body for as long as the object lives (its timers read it), and
both fields are bookkeeping of other clients: managedFields alone is ~2 KB of a 4.5 KB body, and
`kubectl apply`'s annotation copies the whole spec. Neither is read by kopf (its diff leaves the
annotation out) or by this operator. They are dropped from this operator's own kinds as the watch
stream delivers them, before kopf stores anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from kopf._cogs.clients import watching

from .. import GROUP

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def lean(raw_event: Any) -> Any:
    """The event, its object without the fields above if it is one of this operator's kinds."""
    obj = raw_event.get("object") if isinstance(raw_event, dict) else None
    if isinstance(obj, dict) and str(obj.get("apiVersion", "")).startswith(f"{GROUP}/"):
        metadata = obj.get("metadata") or {}
        metadata.pop("managedFields", None)
        (metadata.get("annotations") or {}).pop(LAST_APPLIED, None)
    return raw_event


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
