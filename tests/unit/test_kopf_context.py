"""kopf's peering pause and Event queue, published to tasks of ours when its orchestrator starts."""

from __future__ import annotations

import asyncio
import functools

import kopf
from kopf._cogs.aiokits import aiotoggles
from kopf._core.engines import posting
from kopf._core.reactor import orchestration

from pingone_operator.controller import kopf_context

BODY = {"apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneApplication",
        "metadata": {"namespace": "team-a", "name": "web", "uid": "u-1"}}


async def test_the_orchestrators_pause_and_event_queue_reach_a_task_that_enters_them():
    seen: dict[str, object] = {}

    async def orchestrator(**kwargs: object) -> None:
        seen.update(kwargs)

    paused, queue = aiotoggles.ToggleSet(any), asyncio.Queue()
    waiting = asyncio.create_task(kopf_context.context())
    await asyncio.sleep(0)
    assert not waiting.done()  # nothing before kopf starts

    await kopf_context._publishing(orchestrator)(
        operator_paused=paused, processor=functools.partial(lambda **_: None, event_queue=queue))
    context = await asyncio.wait_for(waiting, 1)
    assert seen["operator_paused"] is paused  # kopf's own orchestrator still runs, with its arguments
    assert context.paused is paused

    async def post() -> None:
        context.enter()
        posting.settings_var.set(kopf.OperatorSettings())
        kopf.event(BODY, type="Normal", reason="DriftCorrected", message="PUT to PingOne")

    await asyncio.create_task(post())
    event = queue.get_nowait()
    assert (event.reason, event.ref["name"], event.ref["uid"]) == ("DriftCorrected", "web", "u-1")


def test_install_wraps_kopfs_orchestrator_once():
    original = orchestration.orchestrator
    try:
        kopf_context.install()
        wrapped = orchestration.orchestrator
        kopf_context.install()
        assert orchestration.orchestrator is wrapped is not original
        assert wrapped.publishing and not getattr(original, "publishing", False)
    finally:
        orchestration.orchestrator = original
