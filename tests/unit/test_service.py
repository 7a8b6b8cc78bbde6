"""Service rules about running, not about PingOne: when a drift check also re-reads the secret, and
when it gives way to changes queued for PingOne's budget."""

from __future__ import annotations

import time

from pingone_operator.config import OperatorSettings
from pingone_operator.service import ObjectState, Service

INTERVAL = 3600.0


def service() -> Service:
    return Service(connections=None, settings=OperatorSettings(secret_check_interval_seconds=INTERVAL),
                   status=None)  # type: ignore[arg-type]


def test_a_checked_secret_is_read_again_only_after_the_interval():
    state = ObjectState(secret_checked=time.monotonic())
    assert not service().drift_reads_secret(state)
    state.secret_checked -= INTERVAL
    assert service().drift_reads_secret(state)


def test_after_a_restart_the_secret_checks_spread_over_one_interval():
    # A new process knows no last check. Reading every secret in the first drift round would double it
    # (2 calls per object: 20,000 at 10,000 objects); each object gets a last check in the past interval.
    states = [ObjectState() for _ in range(2000)]
    before = time.monotonic()
    first_round = [service().drift_reads_secret(state) for state in states]
    assert sum(first_round) <= 2  # only one whose random point fell within the round's few ms
    due_in = sorted(state.secret_checked + INTERVAL - before for state in states)
    assert due_in[0] >= -1 and due_in[-1] <= INTERVAL + 1  # each due once within the next interval...
    tenths = [sum(1 for d in due_in if k * INTERVAL / 10 <= d < (k + 1) * INTERVAL / 10) for k in range(10)]
    assert min(tenths) > 100, tenths  # ...spread over it, not bunched (200 expected per tenth)
    kept = [state.secret_checked for state in states]
    for state in states:
        service().drift_reads_secret(state)
    assert [state.secret_checked for state in states] == kept  # drawn once, not at every tick


class Reconciler:
    def __init__(self):
        self.busy = False

    def changes_waiting(self):
        return self.busy


class Connections:
    def __init__(self, reconciler):
        self.reconciler = reconciler

    async def reconciler_for(self, resource, connection):
        return self.reconciler, None


async def test_a_drift_check_gives_way_to_queued_changes_at_most_three_times_in_a_row():
    from pingone_operator.service import DRIFT_DEFERRALS, Lookup

    reconciler = Reconciler()
    svc = Service(connections=Connections(reconciler), settings=OperatorSettings(), status=None)  # type: ignore[arg-type]
    state, lookup = ObjectState(), Lookup(connection=None, claims=[])
    assert not await svc.drift_gives_way(None, lookup, state)  # nothing queued: the check runs
    reconciler.busy = True  # a burst of creates queues for PingOne's budget
    ticks = [await svc.drift_gives_way(None, lookup, state) for _ in range(2 * (DRIFT_DEFERRALS + 1))]
    assert DRIFT_DEFERRALS == 3
    assert ticks == [True, True, True, False] * 2  # every fourth tick checks anyway
    assert await svc.drift_gives_way(None, lookup, state)
    reconciler.busy = False
    assert not await svc.drift_gives_way(None, lookup, state)
    assert state.drift_deferrals == 0  # the count starts again after a check


async def test_a_drift_check_retrying_a_failure_does_not_give_way():
    # A check failed (PingOne down for a moment) and wrote Ready=False; its retry comes after a short
    # backoff. Giving way to a burst then would postpone it a whole interval with the failure shown.
    from pingone_operator.service import Lookup

    reconciler = Reconciler()
    reconciler.busy = True
    svc = Service(connections=Connections(reconciler), settings=OperatorSettings(), status=None)  # type: ignore[arg-type]
    state, lookup = ObjectState(failed=True), Lookup(connection=None, claims=[])
    assert not await svc.drift_gives_way(None, lookup, state)
    state.failed = False
    assert await svc.drift_gives_way(None, lookup, state)
