"""controller/quiet_toggles: a toggle set wakes its waiters when its state changes, and only then."""

from __future__ import annotations

import asyncio

from kopf._cogs.aiokits import aiotoggles

from pingone_operator.controller.quiet_toggles import QuietToggleSet


class CountingSet(QuietToggleSet):
    """Counts how often waiters re-check the set: once per wake-up each."""

    checks = 0

    def is_on(self) -> bool:
        type(self).checks += 1
        return super().is_on()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_waiters_for_all_indexed_start_when_the_last_toggle_is_dropped():
    indexed = QuietToggleSet(all)
    objects = [await indexed.make_toggle(name=f"object-{i}") for i in range(3)]
    waiter = asyncio.create_task(indexed.wait_for(True))
    for toggle in objects[:2]:
        await indexed.drop_toggle(toggle)
        await settle()
        assert not waiter.done()
    await indexed.drop_toggle(objects[2])
    await asyncio.wait_for(waiter, 1)


async def test_waiters_for_off_wake_when_a_toggle_turns_an_all_set_off():
    indexed = QuietToggleSet(all)
    waiter = asyncio.create_task(indexed.wait_for(False))
    await settle()
    await indexed.make_toggle(False)
    await asyncio.wait_for(waiter, 1)


async def test_an_any_set_wakes_on_add_and_on_its_last_drop_as_kopfs_peering_pause_expects():
    paused = QuietToggleSet(any)
    resumed = asyncio.create_task(paused.wait_for(True))
    first = await paused.make_toggle(True, name="peer-a")
    await asyncio.wait_for(resumed, 1)
    second = await paused.make_toggle(True, name="peer-b")
    cleared = asyncio.create_task(paused.wait_for(False))
    await paused.drop_toggle(first)
    await settle()
    assert not cleared.done()
    await paused.drop_toggles([second])
    await asyncio.wait_for(cleared, 1)


async def test_a_member_toggle_still_wakes_the_set_and_its_own_waiters():
    paused = QuietToggleSet(any)
    peer = await paused.make_toggle(False, name="peer")
    set_waiter = asyncio.create_task(paused.wait_for(True))
    own_waiter = asyncio.create_task(peer.wait_for(True))
    await settle()
    await peer.turn_to(True)
    await asyncio.wait_for(asyncio.gather(set_waiter, own_waiter), 1)


async def test_start_up_with_many_objects_wakes_each_waiter_a_bounded_number_of_times():
    # kopf's own set: every add and drop wakes every waiter, ~n**2 / 2 re-checks for n objects.
    n = 400
    CountingSet.checks = 0
    indexed = CountingSet(all)
    listing = await indexed.make_toggle(name="listing")  # the namespace's list is not complete yet
    objects = [await indexed.make_toggle(name=f"object-{i}") for i in range(n)]
    waiters = []
    for toggle in objects:  # as kopf's workers: drop your own, then wait for all
        await indexed.drop_toggle(toggle)
        waiters.append(asyncio.create_task(indexed.wait_for(True)))
        await settle()
    assert not any(w.done() for w in waiters)
    await indexed.drop_toggle(listing)
    await asyncio.wait_for(asyncio.gather(*waiters), 5)
    assert CountingSet.checks < 10 * n


def test_it_is_a_kopf_toggle_set():
    assert issubclass(QuietToggleSet, aiotoggles.ToggleSet)
