"""The drift scheduler: each tracked object checked once per interval, with a kopf timer's rules."""

from __future__ import annotations

import asyncio
import contextlib

from pingone_operator.controller.drift_scheduler import DriftScheduler, Retry

INTERVAL = 0.2


class Checks:
    """A check that records (key, retry, time) and answers as told per key."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, float]] = []
        self.answers: dict[str, list[object]] = {}
        self.running = 0
        self.most_running = 0

    async def __call__(self, key: str, retry: int) -> bool:
        self.calls.append((key, retry, asyncio.get_running_loop().time()))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await asyncio.sleep(0.01)
            answer = self.answers.get(key, [True]).pop(0) if self.answers.get(key) else True
            if isinstance(answer, Exception):
                raise answer
            return bool(answer)
        finally:
            self.running -= 1

    def of(self, key: str) -> list[tuple[str, int, float]]:
        return [c for c in self.calls if c[0] == key]


@contextlib.asynccontextmanager
async def running(scheduler: DriftScheduler, paused=None):
    task = asyncio.create_task(scheduler.run(paused))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_each_object_is_checked_once_per_interval_its_first_within_the_first():
    checks = Checks()
    scheduler = DriftScheduler(INTERVAL, checks, idle=0)
    start = asyncio.get_running_loop().time()
    for key in "abcde":
        scheduler.track(key)
    async with running(scheduler):
        await asyncio.sleep(INTERVAL * 3.5)
    for key in "abcde":
        times = [t for _, _, t in checks.of(key)]
        assert times[0] - start <= INTERVAL * 1.5
        assert 2 <= len(times) <= 4, times
        gaps = [b - a for a, b in zip(times, times[1:])]  # never sooner than an interval; late only by load
        assert all(INTERVAL <= g < INTERVAL * 2 for g in gaps), gaps


async def test_a_retry_comes_after_its_own_delay_and_counts_until_a_check_succeeds():
    checks = Checks()
    checks.answers["a"] = [Retry(0.02), Retry(0.02), True, True]
    scheduler = DriftScheduler(INTERVAL, checks, idle=0)
    scheduler.track("a")
    async with running(scheduler):
        await asyncio.sleep(INTERVAL * 3)
    calls = checks.of("a")
    assert [retry for _, retry, _ in calls[:4]] == [0, 1, 2, 0]
    assert calls[1][2] - calls[0][2] < INTERVAL / 2  # the retry's delay, not an interval
    assert calls[3][2] - calls[2][2] >= INTERVAL


async def test_an_object_gone_is_forgotten():
    checks = Checks()
    checks.answers["gone"] = [False]
    scheduler = DriftScheduler(INTERVAL, checks, idle=0)
    scheduler.track("gone")
    scheduler.track("kept")
    async with running(scheduler):
        await asyncio.sleep(INTERVAL * 2.5)
    assert len(checks.of("gone")) == 1
    assert len(checks.of("kept")) >= 2
    assert len(scheduler) == 1


async def test_a_changed_object_waits_until_it_has_been_idle():
    checks = Checks()
    scheduler = DriftScheduler(0.05, checks, idle=0.3)
    loop = asyncio.get_running_loop()
    scheduler.track("a")
    async with running(scheduler):
        for _ in range(5):  # a change every 0.1 s for half a second
            await asyncio.sleep(0.1)
            scheduler.track("a")
        last_change = loop.time()
        assert checks.of("a") == []
        await asyncio.sleep(0.5)
    assert checks.of("a")[0][2] >= last_change + 0.3 - 0.01


async def test_nothing_is_checked_while_paused():
    class Toggle:
        def __init__(self) -> None:
            self.on, self.changed = True, asyncio.Event()

        def is_on(self) -> bool:
            return self.on

        async def wait_for(self, state: bool) -> None:
            while self.on != state:
                await self.changed.wait()

    checks, paused = Checks(), Toggle()
    scheduler = DriftScheduler(0.05, checks, idle=0)
    scheduler.track("a")
    async with running(scheduler, paused):
        await asyncio.sleep(0.3)
        assert checks.calls == []
        paused.on = False
        paused.changed.set()
        await asyncio.sleep(0.2)
    assert checks.of("a")


async def test_checks_run_side_by_side_up_to_the_bound_and_never_twice_for_one_object():
    checks = Checks()
    scheduler = DriftScheduler(0.01, checks, idle=0, at_once=4)
    for key in range(20):
        scheduler.track(str(key))
    async with running(scheduler):
        await asyncio.sleep(0.3)
    assert checks.most_running == 4
    for key in range(20):  # a check takes 0.01 s, the interval too: one at a time still
        times = [t for _, _, t in checks.of(str(key))]
        assert all(b - a >= 0.02 - 0.005 for a, b in zip(times, times[1:])), times


async def test_a_check_that_breaks_is_logged_and_tried_an_interval_later(caplog):
    checks = Checks()
    checks.answers["a"] = [RuntimeError("bug"), True]
    scheduler = DriftScheduler(INTERVAL, checks, idle=0)
    scheduler.track("a")
    async with running(scheduler):
        await asyncio.sleep(INTERVAL * 3)
    calls = checks.of("a")
    assert len(calls) >= 2 and calls[1][1] == 0
    assert calls[1][2] - calls[0][2] >= INTERVAL
    assert "drift check of a failed" in caplog.text


async def test_stopping_cancels_the_checks_in_flight():
    started, release = asyncio.Event(), asyncio.Event()
    cancelled = []

    async def slow(key: str, retry: int) -> bool:
        started.set()
        try:
            await release.wait()
        except asyncio.CancelledError:
            cancelled.append(key)
            raise
        return True

    scheduler = DriftScheduler(0.01, slow, idle=0)
    scheduler.track("a")
    async with running(scheduler):
        await asyncio.wait_for(started.wait(), 1)
    await asyncio.sleep(0)
    assert cancelled == ["a"]
