"""A burst's objects wait for their namespace's sync slot before anything is built from their body."""

from __future__ import annotations

import asyncio

import kopf
import pytest

from pingone_operator.config import OperatorSettings
from pingone_operator.controller import handlers
from pingone_operator.service import SYNCS_PER_NAMESPACE, Service

BODY = {"apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneApplication",
        "metadata": {"namespace": "team-a", "name": "web", "uid": "u-1", "generation": 1},
        "spec": {"name": 42}}  # unreadable: building the models fails at once


def memo() -> kopf.Memo:
    m = kopf.Memo()
    m.service = Service(connections=None, settings=OperatorSettings(), status=None)  # type: ignore[arg-type]
    m.indexed = asyncio.Event()
    return m


async def call_sync(m: kopf.Memo, body: dict) -> None:
    await handlers.sync(body=kopf.Body(body), patch=kopf.Patch(), memo=m, retry=0)


async def test_an_object_waiting_for_its_namespaces_slot_has_built_no_models():
    m = memo()
    slot = m.service.slot("team-a")
    for _ in range(SYNCS_PER_NAMESPACE):
        await slot.acquire()
    waiting = asyncio.create_task(call_sync(m, BODY))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the spec is not parsed yet: it would have failed already

    slot.release()
    with pytest.raises(kopf.PermanentError, match="invalid resource"):
        await asyncio.wait_for(waiting, 1)


async def test_another_namespaces_burst_does_not_hold_it_up():
    m = memo()
    for _ in range(SYNCS_PER_NAMESPACE):
        await m.service.slot("team-b").acquire()
    with pytest.raises(kopf.PermanentError, match="invalid resource"):
        await asyncio.wait_for(call_sync(m, BODY), 1)
