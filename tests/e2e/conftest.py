"""E2E fixtures: the PingOne simulator and the operator as real subprocesses.

Built on ``process_factory`` and the control-plane fixtures from ``tests/conftest.py``.

- ``simulator_factory(*, environment_id=None, client_id=None, client_secret=None,
  auth_method="CLIENT_SECRET_JWT", extra_args=(), timeout=30) -> Simulator``
- ``simulator`` (function): ``simulator_factory()`` with fresh random credentials. A ``Simulator``
  has ``api_url``, ``auth_url``, ``environment_id``, ``client_id``, ``client_secret``,
  ``auth_method``, ``process``, ``log_text()`` and ``operator_env()`` (the PINGONE_* variables).
- ``operator_factory(kubeconfig=None, extra_env=None, args=None, *, pingone=None, liveness=True,
  ready_line=None, ready_timeout=60, name="operator") -> OperatorHandle`` runs
  ``pingone-operator run <args>`` (default args: ``--all-namespaces``) with KUBECONFIG (default: the
  admin's) and the PINGONE_* variables of ``pingone`` (default: the ``simulator`` fixture, started on
  first use). ``extra_env`` values of None remove a variable. With ``liveness=True`` it adds
  ``--liveness-port <free port> --liveness-host 127.0.0.1`` and waits for ``/healthz`` (with
  ``liveness=False``: ``--liveness-port 0``); with ``ready_line`` it (also) waits for a matching
  log line. Pass ``wait=False`` to skip waiting (then call ``handle.wait_ready()`` yourself). An ``OperatorHandle`` has ``logs()``, ``wait_for_log(pattern, timeout=30)``,
  ``stop()``, ``kill()`` (SIGKILL), ``restart()``, ``running``, ``liveness_url`` and ``process``.
  All operators are stopped at teardown; their log tails are attached to failing tests' reports.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from testbed.process import ManagedProcess, ProcessError, free_port
from tests.e2e.helpers import Kube, SimulatorAdmin

SIMULATOR_READY = re.compile(r"PINGONE_API_URL=(?P<api>\S+)\s+PINGONE_AUTH_URL=(?P<auth>\S+)")


def operator_command() -> list[str]:
    """How to invoke the `pingone-operator` console script of this venv."""
    script = Path(sys.executable).parent / "pingone-operator"
    if script.is_file():
        return [str(script)]
    found = shutil.which("pingone-operator")
    if found:
        return [found]
    return [sys.executable, "-m", "pingone_operator.cli"]


def _child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """os.environ without anything that could point a child at the wrong cluster or tenant."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if k != "KUBECONFIG" and not k.startswith("PINGONE_") or k == "PINGONE_OPERATOR_CACHE"}
    env["PYTHONUNBUFFERED"] = "1"  # readiness lines must reach the log file right away
    return env


@dataclass
class Simulator:
    api_url: str
    auth_url: str
    environment_id: str
    client_id: str
    client_secret: str
    auth_method: str
    process: ManagedProcess = field(repr=False)

    def log_text(self) -> str:
        return self.process.log_text()

    def operator_env(self) -> dict[str, str]:
        return {
            "PINGONE_API_URL": self.api_url,
            "PINGONE_AUTH_URL": self.auth_url,
            "PINGONE_ENVIRONMENT_ID": self.environment_id,
            "PINGONE_CLIENT_ID": self.client_id,
            "PINGONE_CLIENT_SECRET": self.client_secret,
            "PINGONE_TOKEN_AUTH_METHOD": self.auth_method,
        }


@pytest.fixture
def simulator_factory(process_factory: Callable[..., ManagedProcess]) -> Callable[..., Simulator]:
    def factory(
        *,
        environment_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        auth_method: str = "CLIENT_SECRET_JWT",
        extra_args: Sequence[str] = (),
        timeout: float = 30.0,
        name: str = "simulator",
    ) -> Simulator:
        environment_id = environment_id or str(uuid.uuid4())
        client_id = client_id or str(uuid.uuid4())
        client_secret = client_secret or secrets.token_urlsafe(48)
        argv = [
            *operator_command(), "simulator",
            "--port", "0",
            # `--flag=value`: a random secret may start with "-", which argparse would take for a flag.
            f"--environment-id={environment_id}",
            f"--worker-client-id={client_id}",
            f"--worker-client-secret={client_secret}",
            "--worker-auth-method", auth_method,
            *extra_args,
        ]
        proc = process_factory(name, argv, env=_child_env(), ready_line=SIMULATOR_READY, timeout=timeout)
        match = SIMULATOR_READY.search(proc.log_text(current_run=True))
        assert match is not None
        return Simulator(api_url=match["api"], auth_url=match["auth"], environment_id=environment_id,
                         client_id=client_id, client_secret=client_secret, auth_method=auth_method, process=proc)

    return factory


@pytest.fixture
def simulator(simulator_factory: Callable[..., Simulator]) -> Simulator:
    """A fresh PingOne simulator on a free loopback port, with random worker-app credentials."""
    return simulator_factory()


class OperatorHandle:
    """A running `pingone-operator run` subprocess."""

    def __init__(self, process: ManagedProcess, *, liveness_url: str | None, ready_line: str | re.Pattern[str] | None,
                 ready_timeout: float) -> None:
        self.process = process
        self.liveness_url = liveness_url
        self.metrics_url: str | None = None
        self.ready_line = ready_line
        self.ready_timeout = ready_timeout

    def wait_ready(self) -> OperatorHandle:
        """Wait for /healthz (if a liveness port was given) and/or the ready line; fail with the log tail."""
        try:
            if self.liveness_url is not None:
                self.process.wait_for_http(self.liveness_url, timeout=self.ready_timeout)
            if self.ready_line is not None:
                self.process.wait_for_line(self.ready_line, timeout=self.ready_timeout)
            if self.liveness_url is None and self.ready_line is None and not self.process.running:
                raise ProcessError(self.process.describe_failure("exited right after starting"))
        except ProcessError as exc:
            pytest.fail(str(exc), pytrace=False)
        return self

    def logs(self, *, current_run: bool = False) -> str:
        return self.process.log_text(current_run=current_run)

    def wait_for_log(self, pattern: str | re.Pattern[str], timeout: float = 30.0, *,
                     current_run: bool = True) -> re.Match[str]:
        try:
            return self.process.wait_for_line(pattern, timeout=timeout, current_run=current_run)
        except ProcessError as exc:
            pytest.fail(str(exc), pytrace=False)

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM (kopf finishes its handlers and exits), SIGKILL after the timeout. Returns the exit code."""
        return self.process.stop(timeout)

    def kill(self) -> int | None:
        """SIGKILL: simulate a crash."""
        return self.process.kill()

    def restart(self, *, wait: bool = True) -> OperatorHandle:
        """Stop (if running) and start again with the same args and env; the log is appended to."""
        self.process.restart()
        return self.wait_ready() if wait else self

    @property
    def running(self) -> bool:
        return self.process.running

    @property
    def returncode(self) -> int | None:
        return self.process.returncode


@pytest.fixture
def operator_factory(
    request: pytest.FixtureRequest,
    control_plane,
    process_factory: Callable[..., ManagedProcess],
) -> Callable[..., OperatorHandle]:
    def factory(
        kubeconfig: str | os.PathLike[str] | None = None,
        extra_env: Mapping[str, str | None] | None = None,
        args: Sequence[str] | None = None,
        *,
        pingone: Simulator | Mapping[str, str] | None = None,
        liveness: bool = True,
        ready_line: str | re.Pattern[str] | None = None,
        ready_timeout: float = 60.0,
        wait: bool = True,
        name: str = "operator",
    ) -> OperatorHandle:
        if pingone is None:
            pingone = request.getfixturevalue("simulator")
        env = _child_env()
        env["KUBECONFIG"] = os.fspath(kubeconfig or control_plane.kubeconfig)
        env.update(pingone.operator_env() if isinstance(pingone, Simulator) else dict(pingone))
        for key, value in (extra_env or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        run_args = list(args) if args is not None else ["--all-namespaces"]
        liveness_url = None
        if not any(a.startswith("--liveness-port") for a in run_args):
            if liveness:
                port = free_port()
                run_args += ["--liveness-port", str(port), "--liveness-host", "127.0.0.1"]
                liveness_url = f"http://127.0.0.1:{port}/healthz"
            else:
                run_args += ["--liveness-port", "0"]  # off, rather than the default 8080
        metrics_url = None
        if not any(a.startswith("--metrics-port") for a in run_args):
            metrics_port = free_port()  # never the default 9090: operators run side by side in tests
            run_args += ["--metrics-port", str(metrics_port), "--metrics-host", "127.0.0.1"]
            metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        proc = process_factory(name, [*operator_command(), "run", *run_args], env=env, stop_timeout=15.0)
        handle = OperatorHandle(proc, liveness_url=liveness_url, ready_line=ready_line, ready_timeout=ready_timeout)
        handle.metrics_url = metrics_url
        return handle.wait_ready() if wait else handle

    return factory


# --- The operator's own fixtures, shared by every suite that runs it ---------------------------

DRIFT = "3"  # seconds: short, so drift tests finish quickly


@pytest.fixture(scope="session")
def crd(control_plane):
    """The project's CRDs, applied once per session."""
    crds = Path(__file__).resolve().parents[2] / "crds"
    control_plane.kubectl("apply", "--server-side", "-f", str(crds))
    control_plane.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                          "crd/pingoneapplications.pingone-operator.dev", "crd/pingoneconnections.pingone-operator.dev")


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
