"""The pacer: PingOne's rate budget, shared fairly between namespaces."""

import asyncio

import pytest

from pingone_operator.pingone.pacing import RequestPacer, current_tenant


class FakeClock:
    """Time that passes only when the pacer sleeps."""

    def __init__(self):
        self.now = 100.0
        self.slept = 0.0

    def __call__(self):
        return self.now

    async def sleep(self, seconds):
        self.now += seconds
        self.slept += seconds
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would


async def _served_order(pacer, callers):
    order = []

    async def call(tenant, label):
        current_tenant.set(tenant)
        await pacer.acquire()
        order.append(label)

    # Tasks start in creation order, so all of them queue before the pacer hands out a turn.
    await asyncio.gather(*(asyncio.create_task(call(tenant, label)) for tenant, label in callers))
    return order


async def test_one_namespaces_burst_cannot_starve_another_namespaces_single_call():
    clock = FakeClock()
    pacer = RequestPacer(rate=10, burst=1, clock=clock, sleep=clock.sleep)
    callers = [("team-a", f"a{n}") for n in range(30)] + [("team-b", "b0")]
    order = await _served_order(pacer, callers)
    assert order.index("b0") <= 2  # its turn comes next, not after team-a's 30
    assert sorted(order) == sorted(label for _, label in callers)


async def test_turns_rotate_between_waiting_namespaces_and_the_rate_holds():
    clock = FakeClock()
    pacer = RequestPacer(rate=10, burst=1, clock=clock, sleep=clock.sleep)
    callers = [("a", "a1"), ("a", "a2"), ("a", "a3"), ("b", "b1"), ("b", "b2"), ("c", "c1")]
    order = await _served_order(pacer, callers)
    # a1 finds the pacer idle and goes at once; the rest wait, and take turns by namespace.
    assert order == ["a1", "a2", "b1", "c1", "a3", "b2"]
    assert clock.slept == pytest.approx(5 / 10)  # six calls at 10/s: the first is free


async def test_a_cancelled_caller_gives_its_turn_away():
    clock = FakeClock()
    pacer = RequestPacer(rate=1, burst=1, clock=clock, sleep=clock.sleep)
    await pacer.acquire()  # the burst is spent
    current_tenant.set("gone")
    gone = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    gone.cancel()
    current_tenant.set("stays")
    await asyncio.wait_for(pacer.acquire(), timeout=5)
    assert clock.slept == pytest.approx(1.0)  # one token for the one caller that stayed


async def test_a_pause_holds_every_tenant():
    clock = FakeClock()
    pacer = RequestPacer(rate=100, burst=1, clock=clock, sleep=clock.sleep)
    pacer.pause(5)
    await pacer.acquire()
    assert clock.slept >= 5
    pacer.pause(2)
    await pacer.wait_unpaused()
    assert clock.slept >= 7


async def test_connections_to_one_host_share_its_budget_and_its_429_pause():
    from pingone_operator.config import PingOneSettings, Secret
    from pingone_operator.pingone import pacing
    from pingone_operator.pingone.client import PingOneClient

    def client(client_id, host):
        return PingOneClient.from_settings(PingOneSettings(
            api_url=f"https://{host}/v1", auth_url=f"https://auth.{host}", environment_id="e", client_id=client_id,
            client_secret=Secret("s"), requests_per_second=20))

    one, two, elsewhere = client("a", "api.shared.test"), client("b", "api.shared.test"), client("c", "api.other.test")
    try:
        assert one._pacer is two._pacer is pacing.for_host("api.shared.test", 99)
        assert elsewhere._pacer is not one._pacer
        assert one._own_pacer is not two._own_pacer  # each connection's own rate caps its share
        one._pacer.pause(30)
        assert two._pacer._paused_until == one._pacer._paused_until  # PingOne's 429 is per source IP
    finally:
        for c in (one, two, elsewhere):
            await c.aclose()


async def test_turns_rotate_between_connections_as_well_as_namespaces():
    clock = FakeClock()
    pacer = RequestPacer(rate=10, burst=1, clock=clock, sleep=clock.sleep)
    order = []

    async def call(group, label):
        current_tenant.set("same-namespace")
        await pacer.acquire(group)
        order.append(label)

    await asyncio.gather(*(asyncio.create_task(call("busy-connection", f"busy{n}")) for n in range(10)),
                         asyncio.create_task(call("quiet-connection", "quiet")))
    assert order.index("quiet") <= 2


def _suspends(acquire) -> bool:
    """Whether an acquire waits for its turn (suspends) rather than completing on its first step."""
    try:
        waiter = acquire.send(None)
    except StopIteration:
        return False
    waiter.cancel()  # give the turn away, as a cancelled caller would
    acquire.close()
    return True


async def test_an_idle_pacer_answers_at_once_without_a_turn_of_the_event_loop():
    clock = FakeClock()
    pacer = RequestPacer(rate=10, burst=2, clock=clock, sleep=clock.sleep)
    assert not _suspends(pacer.acquire())  # the burst: no queue, no dispatcher
    assert not _suspends(pacer.acquire())
    assert _suspends(pacer.acquire())  # the burst is spent: this one waits for a token


async def test_a_caller_arriving_as_a_pause_ends_does_not_overtake_those_queued():
    clock = FakeClock()
    pacer = RequestPacer(rate=10, burst=5, clock=clock, sleep=clock.sleep)
    pacer.pause(5)
    queued = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)  # queued; the dispatcher has not run yet
    clock.now += 10  # the pause is over and tokens are spare, but a caller is still queued
    assert _suspends(pacer.acquire())
    await queued


async def test_pacer_spaces_requests_at_its_rate():
    clock = FakeClock()
    pacer = RequestPacer(rate=50, burst=1, clock=clock, sleep=clock.sleep)
    for _ in range(11):
        await pacer.acquire()
    assert clock.slept == pytest.approx(10 / 50)  # the first is free, then one per 20 ms


async def test_changes_waiting_counts_queued_calls_but_not_background_ones():
    from pingone_operator.pingone.pacing import in_background

    clock = FakeClock()
    pacer = RequestPacer(rate=1, burst=1, clock=clock, sleep=clock.sleep)
    await pacer.acquire()  # the burst is spent: the next callers queue

    async def drift_read():
        with in_background():
            await pacer.acquire()

    reads = [asyncio.create_task(drift_read()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not pacer.changes_waiting()  # drift checks queued behind each other do not hold one another back
    create = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    assert pacer.changes_waiting()
    cancelled = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.gather(create, *reads, cancelled, return_exceptions=True)
    assert not pacer.changes_waiting()  # served or cancelled, none is left counted
