"""Scoped connections: a cluster-scoped PingOneConnection names credentials, environments and namespaces."""

from __future__ import annotations

import json
import secrets
import uuid

import pytest

from tests.e2e.helpers import SEED, Kube, SimulatorAdmin, application, condition, ready, wait_for
from tests.e2e.conftest import DRIFT

pytestmark = pytest.mark.e2e


@pytest.fixture
def other_namespace(control_plane, namespace):
    name = f"{namespace[:50]}-other"
    control_plane.kubectl("create", "namespace", name)
    yield name
    control_plane.kubectl("delete", "namespace", name, "--wait=false")


def test_connection_scopes_namespaces_and_environments(control_plane, simulator, namespace, other_namespace, crd,
                                                       operator_factory):
    admin = SimulatorAdmin(simulator)
    # A second environment with its own worker app: the team's way in.
    team_env = admin.http.post("/environments", json={}).raise_for_status().json()["id"]
    worker_secret = secrets.token_urlsafe(48)
    worker = admin.http.post(f"/environments/{team_env}/workers", json={
        "clientSecret": worker_secret, "authMethod": "CLIENT_SECRET_JWT"}).raise_for_status().json()
    control_plane.kubectl("create", "secret", "generic", "team-worker", "-n", namespace,
                          f"--from-literal=client-id={worker['clientId']}",
                          f"--from-literal=client-secret={worker_secret}")
    name = f"team-{uuid.uuid4().hex[:8]}"
    connection = {
        "apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneConnection", "metadata": {"name": name},
        "spec": {"apiUrl": simulator.api_url, "authUrl": simulator.auth_url, "environmentId": team_env,
                 "credentialsSecret": {"name": "team-worker"}, "allowedNamespaces": [namespace]},
    }
    control_plane.kubectl("apply", "-f", "-", input=json.dumps(connection))
    try:
        operator_factory(extra_env={"DRIFT_INTERVAL_SECONDS": DRIFT, "OPERATOR_NAMESPACE": namespace},
                         args=["--namespace", namespace, "--namespace", other_namespace])
        wait_for(lambda: condition(json.loads(control_plane.kubectl(
            "get", "p1conn", name, "-o", "json").stdout)).get("status") == "True", what="connection Ready")

        allowed, denied = Kube(control_plane, namespace), Kube(control_plane, other_namespace)
        allowed.apply(application("team-app", connectionRef={"name": name}))
        obj = wait_for(lambda: ready(allowed, "team-app"), what="Ready through the connection")
        assert obj["status"]["environmentId"] == team_env
        team_apps = admin.http.get(f"/environments/{team_env}/applications").json()["applications"]
        assert obj["status"]["applicationId"] in [a["id"] for a in team_apps]
        assert not [a for a in admin.apps() if a["name"] == SEED["name"]]  # nothing in the default environment

        denied.apply(application("sneaky", SEED, connectionRef={"name": name}, name="Sneaky-App"))
        obj = wait_for(lambda: condition(denied.get("p1app", "sneaky")).get("reason") == "ConnectionDenied"
                       and denied.get("p1app", "sneaky"), what="namespace denied")
        assert other_namespace in condition(obj)["message"]

        elsewhere = str(uuid.uuid4())
        allowed.apply(application("wrong-env", connectionRef={"name": name}, name="Wrong-Env", environmentId=elsewhere))
        obj = wait_for(lambda: condition(allowed.get("p1app", "wrong-env")).get("reason") == "ConnectionDenied"
                       and allowed.get("p1app", "wrong-env"), what="environment denied")
        assert elsewhere in condition(obj)["message"]

        allowed.apply(application("no-conn", connectionRef={"name": "does-not-exist"}, name="No-Conn"))
        wait_for(lambda: condition(allowed.get("p1app", "no-conn")).get("reason") == "ConnectionNotFound",
                 what="missing connection")
        names = {a["name"] for a in team_apps + admin.http.get(f"/environments/{team_env}/applications").json()["applications"]}
        assert not {"Sneaky-App", "Wrong-Env", "No-Conn"} & names
    finally:
        control_plane.kubectl("delete", "p1conn", name, "--wait=false")
