"""The hostile tenant: a user who may edit PingOneApplications in `team-b` through the chart's
aggregated `edit` role, and nothing else. Every attack runs through that user's kubeconfig."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException

# The operator and simulator fixtures of the e2e suite, and helm from the install suite.
from tests.e2e.conftest import (  # noqa: F401
    DRIFT, crd, operator_factory, simulator, simulator_factory,
)
from testbed.cluster import run_kubectl
from tests.e2e.helpers import Kube, SimulatorAdmin, wait_for
from tests.install.conftest import helm, helm_bin, helm_env  # noqa: F401
from tests.install.helpers import CHART

pytestmark = pytest.mark.e2e


class TenantKube(Kube):
    """kubectl as the tenant (its own kubeconfig, its own permissions), in its namespace."""

    def __init__(self, control_plane: Any, namespace: str, kubeconfig: Path) -> None:
        super().__init__(control_plane, namespace)
        self.kubeconfig = kubeconfig

    def kubectl(self, *args: str, input: str | None = None, check: bool = True):
        return run_kubectl(self.kubeconfig, *args, input=input, check=check)


@pytest.fixture(scope="session")
def aggregated_edit_role(control_plane, helm):  # noqa: F811
    """The chart's ClusterRoles that add PingOneApplications to the built-in view/edit roles."""
    result = helm("template", "pingone-operator", CHART, "--show-only", "templates/aggregate-clusterroles.yaml")
    assert result.returncode == 0, result.stderr
    control_plane.kubectl("apply", "-f", "-", input=result.stdout)
    return [d["metadata"]["name"] for d in yaml.safe_load_all(result.stdout) if d]


def _namespace(api_client, prefix: str):
    core = CoreV1Api(api_client)
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": name}})
    yield name
    try:
        core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:  # a test may have deleted it already
            raise


@pytest.fixture
def team_a(api_client):
    yield from _namespace(api_client, "team-a")


@pytest.fixture
def team_b_namespace(api_client):
    yield from _namespace(api_client, "team-b")


@pytest.fixture
def team_b(control_plane, team_b_namespace, aggregated_edit_role, sa_kubeconfig, crd) -> TenantKube:  # noqa: F811
    """team-b's developer: the built-in `edit` role in team-b (with the chart's aggregation)."""
    ns = team_b_namespace
    control_plane.kubectl("create", "serviceaccount", "developer", "-n", ns)
    control_plane.kubectl("create", "rolebinding", "developer-edit", "--clusterrole=edit",
                          f"--serviceaccount={ns}:developer", "-n", ns)
    tenant = TenantKube(control_plane, ns, sa_kubeconfig(ns, "developer"))
    # The aggregation controller fills `edit` in a moment after the chart's roles appear.
    wait_for(lambda: tenant.kubectl("auth", "can-i", "create", "pingoneapplications", "-n", ns,
                                    check=False).stdout.strip() == "yes",
             timeout=30, what="the edit role to include PingOneApplications")
    return tenant


@pytest.fixture
def admin(simulator):  # noqa: F811
    return SimulatorAdmin(simulator)


@pytest.fixture
def start_operator(operator_factory, team_a, team_b_namespace, crd):  # noqa: F811
    """The operator, watching team-a and team-b only, with a short drift interval."""

    def start(**extra_env: str):
        env = {"DRIFT_INTERVAL_SECONDS": DRIFT, "LOG_LEVEL": "DEBUG", **extra_env}
        return operator_factory(extra_env=env, args=["--namespace", team_a, "--namespace", team_b_namespace])

    return start
