"""Issue 8.3: kube-apiserver restarts in the middle of the operator's work.

The operator keeps running (no restart of its own): its watches fail while the API server is
down, kopf re-establishes them, and the work in flight finishes. Resources created the moment the
API server is back -- before the operator's watch has reconnected; nothing can be created while it
is down -- are handled too.

Uses ControlPlane.restart_apiserver (same port, same etcd); skipped on an existing cluster. The
operator reaches the API server through a TCP proxy held closed for a few seconds after the API
server is back, so the late resources are surely created before its watch can reconnect.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest

from tests.reliability.support import (
    BASE_ENV,
    RequestStats,
    TcpProxy,
    assert_converged,
    is_ready,
    leak_scan,
    resource,
    spec_for,
    wait_all_ready,
)

pytestmark = pytest.mark.e2e

BATCH = 40
LATE = 5
DOWN_SECONDS = 4.0
HOLD_SECONDS = 3.0  # the operator's way to the API server stays closed this long after it is back
# The drift tick is the safety net for what kopf drops: when the re-list after a reconnect gives kopf
# an older body, it may handle a finished resource as new, record that run's failure, and then drop
# the retry once the fresh body shows nothing changed; the next tick repairs the status.
DRIFT_SECONDS = "20"


def _log_times(log: str, needle: str) -> list[float]:
    times = []
    for line in log.splitlines():
        if needle in line and line.startswith("{"):
            stamp = json.loads(line)["timestamp"]
            times.append(datetime.fromisoformat(stamp).timestamp())
    return times


def test_apiserver_restart_mid_work(control_plane, simulator, cluster, operator_factory, namespace,
                                    sim_admin_factory, tmp_path):
    if not hasattr(control_plane, "restart_apiserver"):
        pytest.skip("needs the local control plane (an existing cluster cannot be restarted from here)")
    admin = sim_admin_factory(simulator)
    admin.faults(latency_ms=250)  # stretch the work, so the restart lands in the middle of it
    server = urlsplit(control_plane.server)
    proxy = TcpProxy(server.hostname, server.port)
    operator = operator_factory(kubeconfig=proxy.kubeconfig(control_plane, tmp_path / "via-proxy.kubeconfig"),
                                extra_env={**BASE_ENV, "DRIFT_INTERVAL_SECONDS": DRIFT_SECONDS},
                                args=["--namespace", namespace], pingone=simulator)
    names = {f"Restart-App-{i:03d}" for i in range(BATCH + LATE)}
    cluster.create_many(resource(f"early-{i:03d}", spec_for(f"Restart-App-{i:03d}")) for i in range(BATCH))

    # Wait until the operator is under way, then pull the API server away for a while.
    def progress() -> int:
        return sum(1 for o in cluster.apps() if (o.get("status") or {}).get("applicationId"))

    deadline = time.monotonic() + 60
    while progress() < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    done_before = sum(1 for o in cluster.apps() if is_ready(o))
    log_offset = len(operator.logs())
    proxy.cut()
    try:
        down = control_plane.restart_apiserver(DOWN_SECONDS, stop_timeout=5)
        back = time.monotonic()
        # The first thing anyone does with the API server back: create resources.
        cluster.create_many(resource(f"late-{i}", spec_for(f"Restart-App-{BATCH + i:03d}")) for i in range(LATE))
        created_late = time.monotonic() - back
        created_at = datetime.now(timezone.utc).timestamp()
        time.sleep(max(0.0, HOLD_SECONDS - created_late))
    finally:
        proxy.restore()
    print(f"\n  API server down for {down:.1f}s with {done_before}/{BATCH} Ready; {LATE} resources created "
          f"{created_late:.2f}s after it answered /readyz again, before the operator could reconnect")

    admin.reset_faults()
    items = wait_all_ready(cluster, BATCH + LATE, timeout=150)
    converged = time.monotonic() - back
    figures = assert_converged(cluster, admin, items, names)
    posts = RequestStats(admin.all_requests()).posts_by_name()
    reconnects = _log_times(operator.logs()[log_offset:], "Restarting the watch-stream for pingoneapplications")
    print(f"  all {BATCH + LATE} Ready {converged:.1f}s after the API server returned; {figures}; "
          f"the pingoneapplications watch restarted {len(reconnects)}x, first "
          f"{(reconnects or [float('nan')])[0] - created_at:+.1f}s after the late resources were created; "
          f"operator restarts: {operator.process.starts - 1}")
    assert operator.running and operator.process.starts == 1, "the operator had to be restarted"
    # (The late resources were created while the operator's way to the API server was cut: it
    # could only learn of them through the watch it re-established, or the re-list before it.)
    assert reconnects, "no sign of the operator re-establishing its watch"
    assert max(posts.values()) == 1, posts.most_common(3)
    assert done_before < BATCH, "the restart came after the work was done"

    proxy.close()
    scan = leak_scan(operator_logs=[operator.logs()], cluster=cluster, admin=admin)
    print(f"  leak scan: {scan['needles']} secrets/tokens in {scan['scanned_chars']} chars: {len(scan['hits'])} hits")
    assert scan["hits"] == []
