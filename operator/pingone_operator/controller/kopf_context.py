"""What kopf keeps to itself that a task of ours needs: whether its peering has paused the operator
(a standby), and its queue of Kubernetes Events (`kopf.event` posts there, from its own tasks only).

kopf hands both to its orchestrator when it starts; a wrapper around it publishes them here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from kopf._cogs.aiokits import aiotoggles
from kopf._core.engines import posting
from kopf._core.reactor import orchestration


@dataclass(frozen=True)
class KopfContext:
    paused: aiotoggles.ToggleSet  # on while another peer (of a higher priority) is active
    event_queue: Any

    def enter(self) -> None:
        """`kopf.event()` from the calling task (and the tasks it starts) goes to kopf's poster."""
        posting.event_queue_loop_var.set(asyncio.get_running_loop())
        posting.event_queue_var.set(self.event_queue)


_published: asyncio.Future[KopfContext] | None = None


def _future() -> asyncio.Future[KopfContext]:
    global _published
    if _published is None or _published.get_loop() is not asyncio.get_running_loop():
        _published = asyncio.get_running_loop().create_future()
    return _published


async def context() -> KopfContext:
    """Once kopf's orchestrator has started."""
    return await asyncio.shield(_future())


def _publishing(orchestrator: Any) -> Any:
    async def publishing_orchestrator(**kwargs: Any) -> None:
        published = _future()
        if not published.done():
            published.set_result(KopfContext(kwargs["operator_paused"], kwargs["processor"].keywords["event_queue"]))
        await orchestrator(**kwargs)

    publishing_orchestrator.publishing = True  # type: ignore[attr-defined]
    return publishing_orchestrator


def install() -> None:
    """Before kopf starts: it looks its orchestrator up when it runs."""
    if not getattr(orchestration.orchestrator, "publishing", False):
        orchestration.orchestrator = _publishing(orchestration.orchestrator)  # type: ignore[assignment]
