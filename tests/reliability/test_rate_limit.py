"""Issue 8.6: the operator and PingOne's rate limit.

1. Paced below the limit (simulator 20 req/s, PINGONE_REQUESTS_PER_SECOND 15), 100 resources cost
   few 429s.
2. Paced above it (simulator 10 req/s, pacing 50), the operator still converges, and a 429 makes
   it wait: after a 429, no request of the operator starts before Retry-After has passed (request
   starts are taken from the simulator's log: completion timestamp minus duration).
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.helpers import parse_ts
from tests.reliability.support import (
    RequestStats,
    assert_converged,
    leak_scan,
    resource,
    spec_for,
    wait_all_ready,
)

pytestmark = pytest.mark.e2e

COUNT = 100
IN_FLIGHT = 0.3  # s: a request already on its way when the 429 was answered may still arrive (2 busy cores)


def _retry_after(sim, admin, rate: float) -> int:
    """Exhaust the simulator's bucket once and read the Retry-After it answers with."""
    url = f"{sim.api_url}/environments/{sim.environment_id}/applications"
    with httpx.Client(timeout=5) as http:
        for _ in range(int(rate) * 3):
            response = http.get(url)
            if response.status_code == 429:
                value = int(response.headers["Retry-After"])
                break
        else:
            raise AssertionError("the simulator never answered 429")
    time.sleep(value + 0.5)  # let the bucket refill
    admin.clear_requests()
    return value


def test_paced_below_the_limit_few_429s(simulator_factory, cluster, run_operator, sim_admin_factory):
    sim = simulator_factory(extra_args=["--rate-limit", "20"])
    admin = sim_admin_factory(sim)
    operator = run_operator(sim, PINGONE_REQUESTS_PER_SECOND=15)
    started = time.monotonic()
    cluster.create_many(resource(f"paced-{i:03d}", spec_for(f"Paced-App-{i:03d}")) for i in range(COUNT))
    items = wait_all_ready(cluster, COUNT, timeout=120)
    elapsed = time.monotonic() - started
    assert_converged(cluster, admin, items, {f"Paced-App-{i:03d}" for i in range(COUNT)})
    stats = RequestStats(admin.all_requests())
    stamps = sorted(parse_ts(e["timestamp"]) for e in stats.entries)
    peak = max(sum(1 for t in stamps[i:] if t < s + 1.0) for i, s in enumerate(stamps))
    too_many = stats.count(status=429)
    print(f"\n  limit 20/s, pacing 15/s: {COUNT} Ready in {elapsed:.1f}s, {len(stats.entries)} requests, "
          f"{too_many} answered 429 ({100 * too_many / len(stats.entries):.1f}%), busiest second {peak} requests")
    assert too_many <= 0.02 * len(stats.entries), "pacing below the limit should all but avoid 429s"
    scan = leak_scan(operator_logs=[operator.logs()], cluster=cluster, admin=admin)
    assert scan["hits"] == []


def test_paced_above_the_limit_backs_off_and_converges(simulator_factory, cluster, run_operator,
                                                     sim_admin_factory):
    count = 40
    sim = simulator_factory(extra_args=["--rate-limit", "10"])
    admin = sim_admin_factory(sim)
    retry_after = _retry_after(sim, admin, 10)
    operator = run_operator(sim, PINGONE_REQUESTS_PER_SECOND=50)
    started = time.monotonic()
    cluster.create_many(resource(f"eager-{i:03d}", spec_for(f"Eager-App-{i:03d}")) for i in range(count))
    items = wait_all_ready(cluster, count, timeout=120)
    elapsed = time.monotonic() - started
    assert_converged(cluster, admin, items, {f"Eager-App-{i:03d}" for i in range(count)})

    stats = RequestStats(admin.all_requests())
    entries = sorted(stats.entries, key=lambda e: parse_ts(e["timestamp"]) - e["durationMs"] / 1000)
    limited = [e for e in entries if e["status"] == 429]
    early = []
    for hit in limited:
        answered = parse_ts(hit["timestamp"])
        for e in entries:
            start = parse_ts(e["timestamp"]) - e["durationMs"] / 1000
            if answered + IN_FLIGHT < start < answered + retry_after - 0.01:
                early.append((hit["path"].rsplit("/", 1)[-1], round(start - answered, 3), e["method"],
                              e["path"].rsplit("/", 1)[-1], e["status"]))
    ok = stats.count(status=200) + stats.count(status=201)
    print(f"\n  limit 10/s, pacing 50/s: {count} Ready in {elapsed:.1f}s; {len(entries)} requests, "
          f"{len(limited)} answered 429 (Retry-After {retry_after}s), {ok} succeeded; requests started within "
          f"Retry-After of a 429 (beyond {IN_FLIGHT}s in flight): {len(early)} {early[:5]}")
    assert limited, "pacing above the limit should meet 429s"
    assert len(limited) <= ok, "more refused than served: the operator does not back off"
    assert not early, f"requests sent before Retry-After had passed: {early[:10]}"
    scan = leak_scan(operator_logs=[operator.logs()], cluster=cluster, admin=admin)
    assert scan["hits"] == []


def test_token_requests_stay_paced_during_a_token_endpoint_outage(simulator, cluster, run_operator,
                                                                  sim_admin_factory):
    pacing, outage, count = 5, 4.0, 30
    admin = sim_admin_factory(simulator)
    admin.faults(token_outage=True)
    operator = run_operator(simulator, PINGONE_REQUESTS_PER_SECOND=pacing)
    cluster.create_many(resource(f"tok-{i:03d}", spec_for(f"Token-App-{i:03d}")) for i in range(count))
    time.sleep(outage)
    admin.reset_faults()
    entries = [e for e in admin.all_requests() if e["path"].endswith("/as/token")]
    stamps = sorted(parse_ts(e["timestamp"]) for e in entries)
    peak = max((sum(1 for t in stamps[i:] if t < s + 1.0) for i, s in enumerate(stamps)), default=0)
    print(f"\n  token endpoint down {outage:.0f}s, pacing {pacing}/s: {len(entries)} token requests, "
          f"busiest second {peak}")
    assert operator.running
    # Pacing allows `pacing` requests a second (plus a burst of one): twice that is generous.
    assert peak <= 2 * pacing, f"{peak} token requests in one second with pacing at {pacing}/s"
