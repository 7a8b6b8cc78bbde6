"""Fixtures of the reliability suite: the e2e fixtures, re-exported, plus a few of its own.

The simulator and operator fixtures live in tests/e2e/conftest.py, which pytest applies to
tests/e2e only; importing them here makes them available under tests/reliability too.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import (  # noqa: F401  (fixtures shared with the e2e suite)
    admin, crd, kube, operator_factory, simulator, simulator_factory, start_operator,
)
from tests.reliability.support import BASE_ENV, Admin, Cluster


@pytest.fixture
def cluster(api_client, namespace, crd) -> Cluster:  # noqa: F811
    return Cluster(api_client, namespace)


@pytest.fixture
def run_operator(operator_factory, namespace, crd):  # noqa: F811
    """run_operator(simulator, namespaces=None, **env) -> Operator (testbed.launcher) watching `namespaces` (default: the test's)."""

    def start(sim, namespaces=None, wait=True, **env):
        args = []
        for ns in namespaces or [namespace]:
            args += ["--namespace", ns]
        return operator_factory(extra_env={**BASE_ENV, **{k: str(v) for k, v in env.items()}}, args=args,
                                pingone=sim, wait=wait)

    return start


@pytest.fixture
def sim_admin_factory():
    made: list[Admin] = []

    def make(sim) -> Admin:
        made.append(Admin(sim))
        return made[-1]

    yield make
    for a in made:
        a.http.close()
