"""Serve a CRD installed after start-up even when the API's discovery is slower than its events.

kopf re-reads discovery (`/apis/<group>`) only when a CRD changes. Under load, discovery can lag the
CRD's last event (Established): every rescan then misses the new resource, and kopf would not serve
it until a restart (`helm upgrade` never installs CRDs, so users apply them to a running operator).
Here the rescan of an Established CRD is repeated, with backoff, until discovery lists it. And an
event can be missed altogether (kopf skips the objects of a re-list, as after its CRD watch broke):
while one of this operator's kinds is unserved, its group's discovery is also read every
`UNRESOLVED_RESCAN_SECONDS` (nothing is read once every kind is served).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from kopf._cogs.clients import scanning
from kopf._cogs.structs import references
from kopf._core.intents import registries
from kopf._core.reactor import observation

from .. import GROUP

logger = logging.getLogger(__name__)

# Seconds between rescans: about two minutes in all, then kopf's own behaviour (a restart serves it).
RETRY_DELAYS = (0.5, 1, 2, 4, 8, 15, 30, 60)
UNRESOLVED_RESCAN_SECONDS = 20.0


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


def unresolved(registry: registries.OperatorRegistry, insights: references.Insights) -> list[references.Selector]:
    """This operator's kinds (as its handlers select them) that kopf does not watch."""
    selectors = (registry._indexing.get_all_selectors() | registry._watching.get_all_selectors() |
                 registry._spawning.get_all_selectors() | registry._changing.get_all_selectors())
    return [s for s in selectors if s.group == GROUP and not s.select(insights.watched_resources)]


async def rescan_while_unresolved(*, settings: Any, registry: registries.OperatorRegistry,
                                  insights: references.Insights, interval: float = UNRESOLVED_RESCAN_SECONDS,
                                  sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
    """Now and then, while a kind is unserved: if discovery lists it, revise kopf's insights as
    kopf's own CRD-event processing does (its orchestrator then starts the watch streams)."""
    await insights.ready_resources.wait()
    while True:
        await sleep(interval)
        missing = unresolved(registry, insights)
        if not missing:
            continue
        try:
            resources = await scanning.scan_resources(groups={GROUP}, settings=settings, logger=logger)
        except Exception as exc:  # the API server's hiccup: the next round tries again
            logger.warning("Rescanning %s failed: %s", GROUP, exc)
            continue
        found = {str(resource) for selector in missing for resource in selector.select(resources)}
        if not found:
            continue
        logger.info("Serving %s: discovery lists it, though no CRD event said so", ", ".join(sorted(found)))
        async with insights.revised:
            observation.revise_resources(resources=resources, insights=insights, registry=registry, group=GROUP)
            await insights.backbone.fill(resources=resources)
            insights.revised.notify_all()


def observing_unresolved(observe: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Wrap kopf's resource observer: the rescans above run beside it, for as long as it runs."""
    async def observe_and_rescan(*, settings: Any, registry: Any, insights: Any, **kwargs: Any) -> None:
        rescans = asyncio.create_task(rescan_while_unresolved(settings=settings, registry=registry,
                                                              insights=insights), name="late CRD rescans")
        try:
            await observe(settings=settings, registry=registry, insights=insights, **kwargs)
        finally:
            rescans.cancel()
            await asyncio.gather(rescans, return_exceptions=True)

    return observe_and_rescan


def install() -> None:
    """Before kopf starts: it looks its resource observer, and the observer its processor, up when
    each starts."""
    original = observation.process_discovered_resource_event
    if not getattr(original, "retries_late_crds", False):
        wrapped = retrying(original)
        wrapped.retries_late_crds = True  # type: ignore[attr-defined]
        observation.process_discovered_resource_event = wrapped  # type: ignore[assignment]
    observer = observation.resource_observer
    if not getattr(observer, "rescans_unresolved", False):
        wrapped_observer = observing_unresolved(observer)
        wrapped_observer.rescans_unresolved = True  # type: ignore[attr-defined]
        observation.resource_observer = wrapped_observer  # type: ignore[assignment]
