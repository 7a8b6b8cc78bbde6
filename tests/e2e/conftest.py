"""E2E fixtures: the PingOne simulator and the operator as real subprocesses.

They start through the test bed's launcher (``testbed/launcher.py``: the command lines, ready
lines and environments), as the ``launcher`` fixture of ``tests/conftest.py`` sets it up: every
child is stopped at teardown and the tails of their logs go into a failing test's report.

- ``simulator_factory(*, environment_id=None, client_id=None, client_secret=None,
  auth_method="CLIENT_SECRET_JWT", extra_args=(), timeout=30, name="simulator") -> Simulator``
- ``simulator`` (function): ``simulator_factory()`` with fresh random credentials. A ``Simulator``
  has ``api_url``, ``auth_url``, ``admin_url``, ``environment_id``, ``client_id``,
  ``client_secret``, ``auth_method``, ``process``, ``log_text()`` and ``operator_env()`` (the
  PINGONE_* variables).
- ``operator_factory(kubeconfig=None, extra_env=None, args=None, *, pingone=None, liveness=True,
  metrics=True, ready_line=None, ready_timeout=60, wait=True, name="operator") -> Operator`` runs
  ``pingone-operator run <args>`` (default args: ``--all-namespaces``) with KUBECONFIG (default: the
  admin's) and the PINGONE_* variables of ``pingone`` (default: the ``simulator`` fixture, started on
  first use); see ``Launcher.operator``. An ``Operator`` has ``logs()``,
  ``wait_for_log(pattern, timeout=30)``, ``wait_ready()``, ``stop()``, ``kill()`` (SIGKILL),
  ``restart()``, ``running``, ``liveness_url``, ``metrics_url`` and ``process``; its waits raise
  ``ProcessError`` with the tail of its log.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import pytest

from testbed.launcher import Launcher, Operator, Simulator, install_crds
from testbed.process import ProcessError
from tests.e2e.helpers import Kube, SimulatorAdmin


@pytest.fixture
def simulator_factory(launcher: Launcher) -> Callable[..., Simulator]:
    def factory(**kwargs) -> Simulator:
        try:
            return launcher.simulator(**kwargs)
        except ProcessError as exc:
            pytest.fail(str(exc), pytrace=False)

    return factory


@pytest.fixture
def simulator(simulator_factory: Callable[..., Simulator]) -> Simulator:
    """A fresh PingOne simulator on a free loopback port, with random worker-app credentials."""
    return simulator_factory()


@pytest.fixture
def operator_factory(request: pytest.FixtureRequest, control_plane, launcher: Launcher) -> Callable[..., Operator]:
    def factory(
        kubeconfig: str | os.PathLike[str] | None = None,
        extra_env: Mapping[str, str | None] | None = None,
        args: Sequence[str] | None = None,
        *,
        pingone: Simulator | Mapping[str, str] | None = None,
        **kwargs,
    ) -> Operator:
        if pingone is None:
            pingone = request.getfixturevalue("simulator")
        try:
            return launcher.operator(pingone, kubeconfig or control_plane.kubeconfig, args=args,
                                     extra_env=extra_env, **kwargs)
        except ProcessError as exc:
            pytest.fail(str(exc), pytrace=False)

    return factory


# --- The operator's own fixtures, shared by every suite that runs it ---------------------------

DRIFT = "3"  # seconds: short, so drift tests finish quickly


@pytest.fixture(scope="session")
def crd(control_plane):
    """The project's CRDs, applied once per session."""
    install_crds(control_plane)


@pytest.fixture
def kube(control_plane, namespace, crd):
    return Kube(control_plane, namespace)


@pytest.fixture
def admin(simulator):
    return SimulatorAdmin(simulator)


@pytest.fixture
def start_operator(operator_factory, namespace, crd):
    """The operator, watching only this test's namespace (other tests' leftovers are not its business).
    The administrator allows this namespace to adopt applications (the security suite shows the default)."""

    def start(**extra_env):
        env = {"DRIFT_INTERVAL_SECONDS": DRIFT, "LOG_LEVEL": "DEBUG", "ADOPTION_ALLOWED_NAMESPACES": namespace,
               **extra_env}
        return operator_factory(extra_env=env, args=["--namespace", namespace])

    return start


@pytest.fixture
def operator(start_operator, simulator):
    return start_operator()
