"""Serve a CRD installed after start-up even when the API's discovery is slower than its events.

kopf re-reads discovery (`/apis/<group>`) only when a CRD changes. Under load, discovery can lag the
CRD's last event (Established): every rescan then misses the new resource, and kopf would not serve
it until a restart (`helm upgrade` never installs CRDs, so users apply them to a running operator).
Here the rescan of an Established CRD is repeated, with backoff, until discovery lists it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from kopf._cogs.clients import scanning
from kopf._core.reactor import observation

from .. import GROUP

logger = logging.getLogger(__name__)

# Seconds between rescans: about two minutes in all, then kopf's own behaviour (a restart serves it).
RETRY_DELAYS = (0.5, 1, 2, 4, 8, 15, 30, 60)


def established(crd: dict[str, Any]) -> bool:
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def served(crd: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(group, version, plural) of every version the CRD serves."""
    spec = crd.get("spec") or {}
    return {(spec.get("group", ""), v.get("name", ""), (spec.get("names") or {}).get("plural", ""))
            for v in spec.get("versions") or [] if v.get("served", True)}


def discovered(crd: dict[str, Any], resources: Iterable[Any]) -> bool:
    found = {(r.group, r.version, r.plural) for r in resources}
    return served(crd) <= found


def retrying(process: Callable[..., Awaitable[None]], delays: Iterable[float] = RETRY_DELAYS,
             sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> Callable[..., Awaitable[None]]:
    """Wrap kopf's CRD-event processor: after its rescan, while an Established CRD is missing from
    discovery, wait and let it rescan again."""
    async def process_until_discovered(*, raw_event: Any, settings: Any, **kwargs: Any) -> None:
        await process(raw_event=raw_event, settings=settings, **kwargs)
        crd = raw_event.get("object") or {}
        group = (crd.get("spec") or {}).get("group")
        if raw_event.get("type") in (None, "DELETED") or group != GROUP or not established(crd):
            return  # only the CRDs this operator serves
        for delay in delays:
            if discovered(crd, await scanning.scan_resources(groups={group}, settings=settings, logger=logger)):
                return
            logger.info("CRD %s is Established but not yet in the API's discovery; rescanning in %ss",
                        crd.get("metadata", {}).get("name"), delay)
            await sleep(delay)
            await process(raw_event=raw_event, settings=settings, **kwargs)

    return process_until_discovered


def install() -> None:
    """Before kopf starts: its resource observer looks the processor up when it starts watching."""
    original = observation.process_discovered_resource_event
    if not getattr(original, "retries_late_crds", False):
        wrapped = retrying(original)
        wrapped.retries_late_crds = True  # type: ignore[attr-defined]
        observation.process_discovered_resource_event = wrapped  # type: ignore[assignment]
