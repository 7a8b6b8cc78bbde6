"""Issue 17.3: one rate budget per PingOne host, shared fairly by every connection to it.

PingOne limits requests per source IP, not per credential: three PingOneConnections to one API host
(three environments, three teams) share one budget. Team A creates a burst; teams B and C create a
few applications each once A's burst is under way. They are served beside A's backlog, not after
it: each namespace runs its own share of syncs at once, and the budget serves waiting requests in
turn by connection and namespace. The limit is PingOne's 100 requests/s scaled down to 10/s (the operator pacing at 9/s;
unshared, three connections would send up to 27/s), so that the budget, not this small machine's
Kubernetes side, is what the requests wait for: only then does the order they are served in show.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.helpers import parse_ts
from tests.reliability.support import RequestStats, resource, spec_for, wait_all_ready

pytestmark = pytest.mark.e2e

RATE_LIMIT, PACING = 10, 9
BURST, FEW = 60, 5  # team A's burst; teams B and C, each


@pytest.fixture
def team_namespaces(control_plane, namespace):
    names = [f"{namespace[:50]}-{team}" for team in ("b", "c")]
    for name in names:
        control_plane.kubectl("create", "namespace", name)
    yield names
    for name in names:
        control_plane.kubectl("delete", "namespace", name, "--wait=false")


def _connection(control_plane, sim, admin, operator_namespace: str, team_namespace: str) -> tuple[str, str]:
    """An environment with its own worker, and a PingOneConnection to it for one namespace."""
    env = admin.http.post("/environments", json={}).raise_for_status().json()["id"]
    worker_secret = secrets.token_urlsafe(48)
    worker = admin.http.post(f"/environments/{env}/workers", json={
        "clientSecret": worker_secret, "authMethod": "CLIENT_SECRET_JWT"}).raise_for_status().json()
    name = f"budget-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl("create", "secret", "generic", name, "-n", operator_namespace,
                          f"--from-literal=client-id={worker['clientId']}",
                          f"--from-literal=client-secret={worker_secret}")
    control_plane.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneConnection", "metadata": {"name": name},
        "spec": {"apiUrl": sim.api_url, "authUrl": sim.auth_url, "environmentId": env,
                 "credentialsSecret": {"name": name}, "allowedNamespaces": [team_namespace]}}))
    return name, env


def test_three_connections_to_one_host_share_one_budget_fairly(
        control_plane, simulator_factory, sim_admin_factory, cluster, run_operator, namespace, team_namespaces):
    sim = simulator_factory(extra_args=["--rate-limit", str(RATE_LIMIT)])
    admin = sim_admin_factory(sim)
    teams = dict(zip("abc", [namespace, *team_namespaces]))
    connections = {t: _connection(control_plane, sim, admin, namespace, ns) for t, ns in teams.items()}
    try:
        run_operator(sim, namespaces=list(teams.values()), PINGONE_REQUESTS_PER_SECOND=PACING,
                     OPERATOR_NAMESPACE=namespace)
        team_of_env = {env: t for t, (_, env) in connections.items()}

        def batch(team: str, count: int) -> list[tuple[dict, str]]:
            return [(resource(f"{team}-{i:03d}", spec_for(f"Team-{team.upper()}-{i:03d}",
                                                         connectionRef={"name": connections[team][0]})),
                     teams[team]) for i in range(count)]

        def create(pairs):
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda pair: cluster.create(*pair), pairs))

        admin.clear_requests()
        create(batch("a", BURST))
        # B and C arrive once A's creates are queued for PingOne (their intents are in status; the
        # operator runs up to SYNCS_PER_NAMESPACE of a namespace's syncs at once).
        deadline = time.monotonic() + 60
        while sum(1 for o in cluster.apps(teams["a"]) if (o.get("status") or {}).get("pendingCreate")) < 10:
            assert time.monotonic() < deadline, "team A's creates never queued"
            time.sleep(0.1)
        arrived = time.time()  # the simulator's log is stamped in wall-clock time too
        create(batch("b", FEW) + batch("c", FEW))
        for team, count in (("a", BURST), ("b", FEW), ("c", FEW)):
            wait_all_ready(cluster, count, timeout=180, namespace=teams[team])

        stats = RequestStats(admin.all_requests())
        by_team: dict[str, list[float]] = {t: [] for t in teams}
        for e in stats.entries:
            env = e["path"].split("/environments/", 1)[-1].split("/", 1)[0]
            if env in team_of_env and not e["path"].endswith("/as/token"):
                by_team[team_of_env[env]].append(parse_ts(e["timestamp"]))
        too_many = stats.count(status=429)
        small_done = max(max(by_team["b"]), max(by_team["c"]))
        a_done = max(by_team["a"])
        a_after = sum(1 for t in by_team["a"] if t > arrived)
        print(f"\n  {len(stats.entries)} PingOne requests, {too_many} answered 429; team A {len(by_team['a'])}, "
              f"B {len(by_team['b'])}, C {len(by_team['c'])}; after B and C arrived: B and C done in "
              f"{small_done - arrived:.2f}s (first request after {min(by_team['b'] + by_team['c']) - arrived:.2f}s), "
              f"A done in {a_done - arrived:.2f}s ({a_after} requests)")

        # One budget: three connections never exceed the host's limit.
        assert too_many == 0
        # Fair: A still had work when B and C arrived, and B and C were served beside it, not after
        # it (first come, first served would finish them after A's backlog).
        assert a_after >= 4 * FEW, "A's burst was over before B and C arrived: nothing to share"
        assert small_done - arrived < 0.6 * (a_done - arrived), "B and C waited behind A's burst"
    finally:
        for name, _ in connections.values():
            control_plane.kubectl("delete", "p1conn", name, "--wait=false")
