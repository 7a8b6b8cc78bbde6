"""Client-side pacing, so the operator stays under PingOne's rate limit instead of bouncing off it,
and shares it fairly. PingOne limits requests per source IP, so every client of one API host
(every connection to it) shares one budget and one 429 pause (`for_host`); waiting requests are
served round-robin by connection and namespace, so one namespace's burst of creates cannot starve
another's single one, nor one connection another's. Drift checks are reads that can wait: their calls
are marked (`in_background`), and a drift check gives way while other calls queue (`changes_waiting`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar

# Who a PingOne call is for; set by the handler of each resource (its namespace).
current_tenant: ContextVar[str] = ContextVar("pingone_tenant", default="")
# Whether the calls made now could wait (a drift check's): they are not counted as changes waiting.
background: ContextVar[bool] = ContextVar("pingone_background", default=False)


@contextlib.contextmanager
def in_background(yes: bool = True) -> Iterator[None]:
    token = background.set(yes)
    try:
        yield
    finally:
        background.reset(token)


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
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()
        self._dispatcher: asyncio.Task[None] | None = None
        self._changes_waiting = 0  # callers in the queue not in the background

    def changes_waiting(self) -> bool:
        """Calls other than background ones are waiting for their turn: the budget is spoken for."""
        return self._changes_waiting > 0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self, group: str = "") -> bool:
        """Wait for this caller's turn: its (group, namespace)'s turn in the rotation, and a token.
        True if it had to wait (queued), False if the budget had a token spare for it at once."""
        if not self._waiting and self._take_token_now():
            return False  # nobody queued and a token spare: no queue, no dispatcher, no turn of the loop
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiting.setdefault(f"{group}/{current_tenant.get()}", deque()).append(waiter)
        if self._dispatcher is None or self._dispatcher.done() or self._dispatcher.get_loop() is not loop:
            self._dispatcher = loop.create_task(self._dispatch())
        change = not background.get()
        self._changes_waiting += change
        try:
            await waiter
        finally:
            self._changes_waiting -= change
        return True

    async def wait_unpaused(self) -> None:
        """Hold a request that got its turn while a 429 pause began."""
        while (left := self._paused_until - self._clock()) > 0:
            await self._sleep(left)

    async def _dispatch(self) -> None:
        while self._waiting:
            await self._take_token()
            waiter = self._next_waiter()
            if waiter is not None:
                waiter.set_result(None)
            else:
                self._tokens += 1  # everyone who was waiting gave up: keep the token

    def _next_waiter(self) -> asyncio.Future[None] | None:
        """The first live waiter of the next tenant in the rotation."""
        while self._waiting:
            tenant, queue = next(iter(self._waiting.items()))
            self._waiting.move_to_end(tenant)  # the next turn goes to another tenant
            while queue and queue[0].done():  # cancelled callers
                queue.popleft()
            if not queue:
                del self._waiting[tenant]
                continue
            waiter = queue.popleft()
            if not queue:
                del self._waiting[tenant]
            return waiter
        return None

    async def _take_token(self) -> None:
        while not self._take_token_now():
            if (paused := self._paused_until - self._clock()) > 0:
                await self._sleep(paused)
            else:
                await self._sleep((1 - self._tokens) / self.rate)

    def _take_token_now(self) -> bool:
        """Take a token if one is spare and no 429 pause holds; refill by the time passed."""
        now = self._clock()
        if now < self._paused_until:
            return False
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1 - 1e-6:  # tolerance: float sums of small refills fall short of 1
            self._tokens -= 1
            return True
        return False


_HOSTS: dict[str, RequestPacer] = {}


def for_host(host: str, rate: float) -> RequestPacer:
    """The one pacer of a PingOne API host; the first client to ask sets its rate (the operator's
    own connection, from PINGONE_REQUESTS_PER_SECOND, is made first)."""
    if host not in _HOSTS:
        _HOSTS[host] = RequestPacer(rate)
    return _HOSTS[host]
