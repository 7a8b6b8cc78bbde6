"""Sharding past one process (issue #17, item 6): two operator releases on disjoint namespace sets
in one cluster, each with its own share of the PingOne budget and its own peering, do not
interfere. Each resource is handled by its own release only (the Events' reporting instance, the
logs), both sets become Ready, and the shares together stay under PingOne's limit (no 429).
"""

from __future__ import annotations

import json
import secrets
from collections import Counter

import pytest

from tests.e2e.helpers import SEED, Kube, SimulatorAdmin, application, ready, wait_for

pytestmark = pytest.mark.e2e

LIMIT = 5  # the simulator's requests/s for both releases together, as PingOne's 100/s per source IP
SHARE = 2  # each release's PINGONE_REQUESTS_PER_SECOND: the shares add up to less than the limit
COUNT = 6  # applications per release, created at once


@pytest.fixture
def other_namespace(control_plane, crd):
    name = f"e2e-shard-b-{secrets.token_hex(3)}"
    control_plane.kubectl("create", "namespace", name)
    yield name
    control_plane.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture
def peerings(control_plane, namespace, crd):
    """Each release its own ClusterKopfPeering (the chart's default name differs per release)."""
    names = [f"shard-{x}-{namespace}" for x in "ab"]
    for name in names:
        control_plane.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": name}}))
    yield names
    for name in names:
        control_plane.kubectl("delete", "clusterkopfpeering", name, "--ignore-not-found", check=False)


def test_two_releases_on_disjoint_namespaces_do_not_interfere(
        simulator_factory, operator_factory, control_plane, namespace, other_namespace, peerings):
    sim = simulator_factory(extra_args=["--rate-limit", str(LIMIT)])
    admin = SimulatorAdmin(sim)
    shards = {"shard-a": Kube(control_plane, namespace), "shard-b": Kube(control_plane, other_namespace)}
    # Both releases in one namespace (the first shard's): a PingOneConnection's credentials Secret is
    # read from the operator's namespace, so both find it.
    control_plane.kubectl("create", "secret", "generic", "shared-worker", "-n", namespace,
                          f"--from-literal=client-id={sim.client_id}",
                          f"--from-literal=client-secret={sim.client_secret}")
    connection = f"shared-{namespace}"
    control_plane.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneConnection", "metadata": {"name": connection},
        "spec": {"apiUrl": sim.api_url, "authUrl": sim.auth_url, "environmentId": sim.environment_id,
                 "tokenAuthMethod": sim.auth_method, "credentialsSecret": {"name": "shared-worker"},
                 "allowedNamespaces": [namespace, other_namespace]}}))
    try:
        operators = {
            shard: operator_factory(pingone=sim, args=["--namespace", kube.ns], name=shard, extra_env={
                "PINGONE_REQUESTS_PER_SECOND": str(SHARE), "PEERING_NAME": peering, "POD_NAME": shard,
                "OPERATOR_NAMESPACE": namespace})
            for (shard, kube), peering in zip(shards.items(), peerings)
        }
        for i in range(COUNT):
            for shard, kube in shards.items():
                spec = {**SEED, "name": f"{shard}-{i}"}
                if i == 0:
                    spec["connectionRef"] = {"name": connection}
                kube.apply(application(f"app-{i}", spec))
        for shard, kube in shards.items():
            for i in range(COUNT):
                wait_for(lambda: ready(kube, f"app-{i}"), 120, f"{shard}'s app-{i} Ready")

        # Each resource was handled by its own release only.
        for shard, kube in shards.items():
            for i in range(COUNT):
                assert {e.get("reportingInstance") for e in kube.events(f"app-{i}")} == {shard}, (shard, i)
        assert other_namespace not in operators["shard-a"].logs()
        assert namespace not in operators["shard-b"].logs().replace(f"shard-b-{namespace}", "")  # its peering's name
        # Each application made once, and the two shares stayed within the limit.
        names = Counter(a["name"] for a in admin.apps() if a["name"].startswith("shard-"))
        assert names == Counter(f"{shard}-{i}" for shard in shards for i in range(COUNT))
        refused = [f"{r['method']} {r['path']}" for r in admin.requests(path_contains="") if r["status"] == 429]
        assert not refused, f"{len(refused)} requests over the limit: {refused[:5]}"
        conditions = json.loads(control_plane.kubectl("get", "pingoneconnection", connection, "-o", "json").stdout)[
            "status"]["conditions"]
        assert [c["status"] for c in conditions if c["type"] == "Ready"] == ["True"]
    finally:
        control_plane.kubectl("delete", "pingoneconnection", connection, "--wait=false", check=False)
