"""One task that runs every object's drift check, each once per interval.

In place of a kopf timer per object: a timer is a task with its cause, patch, loggers and stopper
(~8 KB in a tracemalloc snapshot at rest), and it makes kopf keep the object's whole body (~5.8 KB).
Here an object is a heap item and a small entry; its check reads the index `handlers.drift_subjects`. Its rules are a timer's: the first check comes at a
random point of the first interval (a restart is not a burst of GETs), the next an interval after a
check ends, a failed check again after the delay it asks for, and none while the object changed in
the last few seconds (a change in flight is the change handler's).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger("pingone_operator")

IDLE_SECONDS = 5.0
CHECKS_AT_ONCE = 64  # in flight; PingOne's pacing and each namespace's sync slots bound them further
RUNNING = float("inf")  # an entry's due time while its check runs


class Retry(Exception):  # noqa: N818 (an instruction, not an error)
    """The check failed for now: run it again after `delay` seconds, not an interval later."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay)
        self.delay = delay


class Paused(Protocol):
    def is_on(self) -> bool: ...
    async def wait_for(self, __state: bool) -> None: ...


# check(key, retry) -> False once the object is gone; raises Retry to be run again sooner.
Check = Callable[[Any, int], Awaitable[bool]]


class _Entry:
    __slots__ = ("due", "changed", "retry")

    def __init__(self, due: float, changed: float) -> None:
        self.due, self.changed, self.retry = due, changed, 0


class DriftScheduler:
    def __init__(self, interval: float, check: Check, *, idle: float = IDLE_SECONDS,
                 at_once: int = CHECKS_AT_ONCE) -> None:
        self.interval, self.idle = interval, idle
        self._check = check
        self._entries: dict[Any, _Entry] = {}
        self._heap: list[tuple[float, Any]] = []
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(at_once)
        self._running: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._entries)

    def track(self, key: Any) -> None:
        """On every watch event of an object: a new one gets its first check, a changed one waits."""
        now = asyncio.get_running_loop().time()
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = _Entry(now + random.uniform(0, self.interval), now)
            self._push(key)
        else:
            entry.changed = now

    async def run(self, paused: Paused | None = None) -> None:
        """Forever: each due check in a task of its own, at most `at_once` at a time."""
        try:
            while True:
                key = await self._next_due()
                await self._slots.acquire()
                if paused is not None and paused.is_on():
                    log.info("drift checks paused: another peer is active")
                    await paused.wait_for(False)
                task = asyncio.create_task(self._run_one(key))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
        finally:
            for task in self._running:
                task.cancel()

    async def _run_one(self, key: Any) -> None:
        entry = self._entries[key]
        delay: float | None = self.interval
        try:
            if not await self._check(key, entry.retry):
                delay = None
            entry.retry = 0
        except Retry as retry:
            entry.retry, delay = entry.retry + 1, retry.delay
        except Exception:  # a bug must not end every object's checks: log it, try next interval
            log.exception("drift check of %s failed", key)
            entry.retry = 0
        finally:
            self._slots.release()
        if delay is None:
            del self._entries[key]
        else:
            entry.due = asyncio.get_running_loop().time() + delay
            self._push(key)

    async def _next_due(self) -> Any:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._heap and self._heap[0][0] <= now:
                due, key = heapq.heappop(self._heap)
                entry = self._entries.get(key)
                if entry is None or entry.due != due:
                    continue  # rescheduled or forgotten since
                if now - entry.changed < self.idle:
                    entry.due = entry.changed + self.idle
                    heapq.heappush(self._heap, (entry.due, key))
                    continue
                entry.due = RUNNING
                return key
            self._wake.clear()
            try:
                async with asyncio.timeout(self._heap[0][0] - now if self._heap else None):
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _push(self, key: Any) -> None:
        entry = self._entries[key]
        if not self._heap or entry.due < self._heap[0][0]:
            self._wake.set()
        heapq.heappush(self._heap, (entry.due, key))
