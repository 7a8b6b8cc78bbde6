"""controller/lean_timers: kopf's interruptible sleep and daemon stopper, lighter and alike."""

from __future__ import annotations

import asyncio
import threading

from kopf._cogs.aiokits import aiotime
from kopf._core.engines import daemons
from kopf._core.intents import stoppers

from pingone_operator.controller import lean_timers
from pingone_operator.controller.lean_timers import LeanStopper, sleep

Reason = stoppers.DaemonStoppingReason


async def test_sleep_runs_out_its_shortest_delay_and_says_none():
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await sleep([0.2, None, 0.05], wakeup=asyncio.Event()) is None
    assert loop.time() - started >= 0.05


async def test_sleep_woken_early_says_how_long_was_left():
    wakeup = asyncio.Event()
    asyncio.get_running_loop().call_later(0.01, wakeup.set)
    left = await sleep(30, wakeup=wakeup)
    assert left is not None and 29 < left <= 30


async def test_sleep_on_a_set_event_or_without_a_delay_returns_at_once():
    woken = asyncio.Event()
    woken.set()
    assert 29.9 < await sleep(30, wakeup=woken) <= 30
    assert await sleep(0, wakeup=asyncio.Event()) is None
    assert await sleep([None]) is None
    assert await sleep(None) is None


async def test_sleep_waits_in_its_callers_task():
    """kopf's own wrapped the wait in a second task per sleeper (per object, for a timer)."""
    wakeup = asyncio.Event()
    sleeper = asyncio.create_task(sleep(30, wakeup=wakeup))
    await asyncio.sleep(0.01)
    assert asyncio.all_tasks() == {asyncio.current_task(), sleeper}
    wakeup.set()
    assert await sleeper > 0


async def test_a_cancelled_sleep_is_cancelled_not_timed_out():
    sleeper = asyncio.create_task(sleep(30, wakeup=asyncio.Event()))
    await asyncio.sleep(0.01)
    sleeper.cancel()
    try:
        await sleeper
    except asyncio.CancelledError:
        pass
    assert sleeper.cancelled()


async def test_the_stopper_is_set_with_its_reasons_combined_and_wakes_async_waiters():
    stopper = LeanStopper()

    async def stopped() -> None:
        await stopper.async_waiter.wait()

    waiter = asyncio.create_task(stopped())
    assert not stopper.is_set() and not stopper.async_waiter
    stopper.set(Reason.RESOURCE_DELETED)
    stopper.set(Reason.OPERATOR_EXITING)
    await asyncio.wait_for(waiter, 1)
    assert stopper.is_set() and stopper.is_set(Reason.RESOURCE_DELETED) and not stopper.is_set(Reason.DONE)
    assert stopper.reason == Reason.RESOURCE_DELETED | Reason.OPERATOR_EXITING
    assert stopper.when is not None


async def test_the_stopper_makes_a_threading_event_only_for_a_thread_and_wakes_it():
    stopper = LeanStopper()
    assert stopper._sync_event is None
    asked = threading.Event()

    def thread_daemon() -> bool:
        asked.set()
        return stopper.sync_waiter.wait(10).is_set()

    stopped = asyncio.create_task(asyncio.to_thread(thread_daemon))
    await asyncio.to_thread(asked.wait, 10)
    await asyncio.sleep(0.05)  # the thread is waiting on the event it made
    stopper.set(Reason.DAEMON_SIGNALLED)
    assert await asyncio.wait_for(stopped, 10)


async def test_a_threading_event_asked_for_after_the_stop_is_already_set():
    stopper = LeanStopper()
    stopper.set(Reason.OPERATOR_PAUSING)
    assert stopper.sync_event.is_set()


def test_install_puts_both_where_kopf_looks_them_up(monkeypatch):
    monkeypatch.setattr(aiotime, "sleep", aiotime.sleep)  # undone after the test
    monkeypatch.setattr(stoppers, "DaemonStopper", stoppers.DaemonStopper)
    lean_timers.install()
    assert daemons.aiotime.sleep is sleep
    assert daemons.stoppers.DaemonStopper is LeanStopper
