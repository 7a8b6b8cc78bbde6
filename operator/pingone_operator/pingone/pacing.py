"""Client-side pacing, so the operator stays under PingOne's rate limit instead of bouncing off it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RequestPacer:
    """A token bucket: at most `rate` requests per second, bursts up to `burst`.

    A 429 from PingOne pauses every caller until its Retry-After has passed, because the limit is
    shared by all requests of this source, not by the one request that hit it.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ):
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 10)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self) -> None:
        async with self._lock:  # callers queue in order; each waits for its own token
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await self._sleep(self._paused_until - now)
                    continue
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1 - 1e-6:  # tolerance: float sums of small refills fall short of 1
                    self._tokens -= 1
                    return
                await self._sleep((1 - self._tokens) / self.rate)
