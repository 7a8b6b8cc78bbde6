"""Lighter kopf timers: one per object lives as long as the object, so its size is paid 10,000 times.

A sleeping kopf timer held, besides its own task, a second task and coroutine for the sleep
(`asyncio.wait_for` wraps the wake-up event's wait in a task) and a `threading.Event` in its
stopper (a Condition, a lock, a deque: ~1.1 KB) that only a daemon running in a thread waits on;
this operator's handlers are all async. Here kopf's interruptible sleep waits in the caller's own
task (`asyncio.timeout`), and its stopper makes the `threading.Event` when a thread first asks for
it. Both keep kopf's behaviour: the same results, the same wake-ups.
"""

from __future__ import annotations

import asyncio
import collections.abc
import threading
from collections.abc import Collection

from kopf._cogs.aiokits import aioenums, aiotime
from kopf._core.intents import stoppers


async def sleep(delays: float | Collection[float | None] | None, wakeup: asyncio.Event | None = None) -> float | None:
    """kopf's `aiotime.sleep`: None once the delay has passed, else the seconds left when `wakeup` was set."""
    passed = delays if isinstance(delays, collections.abc.Collection) else [delays]
    actual = [delay for delay in passed if delay is not None]
    delay = min(actual) if actual else 0
    if delay <= 0:
        return None
    if wakeup is None:
        await asyncio.sleep(delay)
        return None
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        async with asyncio.timeout(delay):
            await wakeup.wait()
    except TimeoutError:
        return None
    return max(0.0, delay - (loop.time() - started))


class LeanStopper(aioenums.FlagSetter[stoppers.DaemonStoppingReason]):
    """kopf's daemon stopper, its `threading.Event` made on first use (by a thread daemon only)."""

    _making = threading.Lock()  # a thread asking for the event, the loop setting the flag

    def __init__(self) -> None:  # not FlagSetter's: it makes the threading.Event up front
        self.when: float | None = None
        self.reason: stoppers.DaemonStoppingReason | None = None
        self.async_event = asyncio.Event()
        self._sync_event: threading.Event | None = None
        self.sync_waiter = aioenums.SyncFlagWaiter(self)
        self.async_waiter = aioenums.AsyncFlagWaiter(self)

    @property
    def sync_event(self) -> threading.Event:  # type: ignore[override]
        with self._making:
            if self._sync_event is None:
                self._sync_event = threading.Event()
                if self.async_event.is_set():
                    self._sync_event.set()
            return self._sync_event

    def is_set(self, reason: stoppers.DaemonStoppingReason | None = None) -> bool:
        matching_reason = reason is None or (self.reason is not None and reason in self.reason)
        return matching_reason and self.async_event.is_set()

    def set(self, reason: stoppers.DaemonStoppingReason | None = None) -> None:
        reason = reason if reason is not None else self.reason  # as kopf's: keeps earlier reasons
        self.when = self.when if self.when is not None else asyncio.get_running_loop().time()
        self.reason = reason if self.reason is None or reason is None else self.reason | reason
        self.async_event.set()
        with self._making:
            if self._sync_event is not None:
                self._sync_event.set()


def install() -> None:
    """Before kopf starts: it looks both up when it sleeps and when it spawns a timer."""
    aiotime.sleep = sleep  # type: ignore[assignment]
    stoppers.DaemonStopper = LeanStopper  # type: ignore[misc]

