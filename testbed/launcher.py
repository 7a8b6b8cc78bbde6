"""The one place that knows how to start the PingOne simulator and the operator as child processes.

The e2e fixtures, the demo and the benchmarks all start them through a Launcher::

    with ControlPlane() as cp, Launcher(log_dir) as launch:
        install_crds(cp)
        sim = launch.simulator()                      # `pingone-operator simulator`, ready
        op = launch.operator(sim, cp.kubeconfig)      # `pingone-operator run`, /healthz answering
        ...                                           # both stopped when the block ends

A child gets os.environ without KUBECONFIG and the PINGONE_* variables, so nothing points it at a
real cluster or tenant by accident, plus what the launcher sets. Standard library only.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .process import ManagedProcess, ProcessError, free_port

__all__ = ["Launcher", "Operator", "Simulator", "child_env", "install_crds", "operator_command"]

ROOT = Path(__file__).resolve().parents[1]
# The simulator's first line: "PingOne simulator listening: PINGONE_API_URL=... PINGONE_AUTH_URL=... ...".
SIMULATOR_READY = re.compile(r"PINGONE_API_URL=(?P<api>\S+)\s+PINGONE_AUTH_URL=(?P<auth>\S+)")
# Its test endpoints (request log, faults, counts) live under the auth URL (routes_admin.ADMIN).
ADMIN_PATH = "/_simulator"
# Where build.sh caches the Go binaries: a child that runs the test bed needs it too.
KEEP_VARIABLES = frozenset({"PINGONE_OPERATOR_CACHE"})


def operator_command() -> list[str]:
    """The `pingone-operator` console script of this venv (PATH, then `python -m`, as fallbacks)."""
    script = Path(sys.executable).parent / "pingone-operator"
    if script.is_file():
        return [str(script)]
    found = shutil.which("pingone-operator")
    return [found] if found else [sys.executable, "-m", "pingone_operator.cli"]


def child_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """os.environ (or `base`) without anything that could point a child at the wrong cluster or tenant."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if k in KEEP_VARIABLES or not (k == "KUBECONFIG" or k.startswith("PINGONE_"))}
    env["PYTHONUNBUFFERED"] = "1"  # readiness lines must reach the log file right away
    return env


def install_crds(cluster: Any, manifests: str | None = None, timeout: str = "60s") -> None:
    """Apply the operator's CRDs (crds/, or `manifests` as YAML text) and wait until each is Established."""
    source = "-" if manifests is not None else str(ROOT / "crds")
    cluster.kubectl("apply", "--server-side", "-f", source, input=manifests)
    cluster.kubectl("wait", "--for=condition=Established", f"--timeout={timeout}", "-f", source, input=manifests)


def _listen(run_args: list[str], endpoint: str, enabled: bool, path: str) -> str | None:
    """Add `--<endpoint>-port`: a free loopback port, or 0 (off). Nothing if `run_args` name a port.
    Returns the endpoint's URL when this added one."""
    if any(a.startswith(f"--{endpoint}-port") for a in run_args):
        return None
    if not enabled:
        run_args += [f"--{endpoint}-port", "0"]
        return None
    port = free_port()
    run_args += [f"--{endpoint}-port", str(port), f"--{endpoint}-host", "127.0.0.1"]
    return f"http://127.0.0.1:{port}{path}"


class Spawn(Protocol):
    """Starts a named child process and returns it running (the e2e `process_factory` is one)."""

    def __call__(self, name: str, argv: Sequence[str], *, env: Mapping[str, str],
                 stop_timeout: float) -> ManagedProcess: ...


@dataclass
class Simulator:
    """A running `pingone-operator simulator` and the worker application it was seeded with."""

    api_url: str
    auth_url: str
    environment_id: str
    client_id: str
    client_secret: str = field(repr=False)  # kept out of assertion messages and logs
    auth_method: str
    process: ManagedProcess = field(repr=False)

    @property
    def admin_url(self) -> str:
        return self.auth_url + ADMIN_PATH

    def operator_env(self) -> dict[str, str]:
        """The PINGONE_* variables that make the operator sign in to this simulator."""
        return {
            "PINGONE_API_URL": self.api_url,
            "PINGONE_AUTH_URL": self.auth_url,
            "PINGONE_ENVIRONMENT_ID": self.environment_id,
            "PINGONE_CLIENT_ID": self.client_id,
            "PINGONE_CLIENT_SECRET": self.client_secret,
            "PINGONE_TOKEN_AUTH_METHOD": self.auth_method,
        }

    def log_text(self) -> str:
        return self.process.log_text()

    def stop(self, timeout: float | None = None) -> int | None:
        return self.process.stop(timeout)


class Operator:
    """A running `pingone-operator run`. Waits raise ProcessError with the tail of its log."""

    def __init__(self, process: ManagedProcess, *, liveness_url: str | None, metrics_url: str | None,
                 ready_line: str | re.Pattern[str] | None, ready_timeout: float) -> None:
        self.process = process
        self.liveness_url = liveness_url
        self.metrics_url = metrics_url
        self.ready_line = ready_line
        self.ready_timeout = ready_timeout

    def wait_ready(self) -> Operator:
        """Wait for /healthz (if it has a liveness port) and the ready line (if given)."""
        if self.liveness_url is not None:
            self.process.wait_for_http(self.liveness_url, timeout=self.ready_timeout)
        if self.ready_line is not None:
            self.process.wait_for_line(self.ready_line, timeout=self.ready_timeout)
        if not self.process.running:
            raise ProcessError(self.process.describe_failure("exited right after starting"))
        return self

    def logs(self, *, current_run: bool = False) -> str:
        return self.process.log_text(current_run=current_run)

    def wait_for_log(self, pattern: str | re.Pattern[str], timeout: float = 30.0, *,
                     current_run: bool = True) -> re.Match[str]:
        return self.process.wait_for_line(pattern, timeout=timeout, current_run=current_run)

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM (kopf finishes its handlers and exits), SIGKILL after the timeout. Returns the exit code."""
        return self.process.stop(timeout)

    def kill(self) -> int | None:
        """SIGKILL: simulate a crash."""
        return self.process.kill()

    def restart(self, *, wait: bool = True) -> Operator:
        """Stop (if running) and start again with the same args and env; the log is appended to."""
        self.process.restart()
        return self.wait_ready() if wait else self

    @property
    def running(self) -> bool:
        return self.process.running

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    @property
    def pid(self) -> int | None:
        return self.process.pid


class Launcher:
    """Starts simulators and operators; `stop()` (or leaving the `with` block) stops them all.

    Children log to `log_dir/<name>.log`, unless `spawn` starts them (the e2e fixtures pass their
    process_factory, so the logs land in the test's report).
    """

    def __init__(self, log_dir: str | os.PathLike[str] | None = None, *, spawn: Spawn | None = None) -> None:
        if (log_dir is None) == (spawn is None):
            raise ValueError("Launcher needs a log_dir or a spawn function, not both")
        self._log_dir = Path(log_dir) if log_dir is not None else None
        self._spawn = spawn
        self._started: list[ManagedProcess] = []

    def __enter__(self) -> Launcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop every child, operators (started last) first."""
        while self._started:
            self._started.pop().stop()

    def _start(self, name: str, argv: Sequence[str], env: Mapping[str, str], stop_timeout: float) -> ManagedProcess:
        if self._spawn is not None:
            proc = self._spawn(name, argv, env=env, stop_timeout=stop_timeout)
        else:
            assert self._log_dir is not None
            proc = ManagedProcess(name, argv, log_path=self._log_dir / f"{name}.log", env=env,
                                  stop_timeout=stop_timeout).start()
        self._started.append(proc)
        return proc

    def simulator(
        self,
        *,
        name: str = "simulator",
        environment_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        auth_method: str = "CLIENT_SECRET_JWT",
        extra_args: Sequence[str] = (),
        timeout: float = 30.0,
    ) -> Simulator:
        """A fresh simulator on a free loopback port, seeded with a worker application (random
        credentials unless given); returns once it listens. `extra_args`: more simulator flags."""
        environment_id = environment_id or str(uuid.uuid4())
        client_id = client_id or str(uuid.uuid4())
        client_secret = client_secret or secrets.token_urlsafe(48)
        argv = [
            *operator_command(), "simulator", "--port", "0",
            # `--flag=value`: a random secret may start with "-", which argparse would take for a flag.
            f"--environment-id={environment_id}",
            f"--worker-client-id={client_id}",
            f"--worker-client-secret={client_secret}",
            "--worker-auth-method", auth_method,
            *extra_args,
        ]
        proc = self._start(name, argv, child_env(), stop_timeout=10.0)
        try:
            match = proc.wait_for_line(SIMULATOR_READY, timeout=timeout)
        except ProcessError:
            proc.stop()
            raise
        return Simulator(api_url=match["api"], auth_url=match["auth"], environment_id=environment_id,
                         client_id=client_id, client_secret=client_secret, auth_method=auth_method, process=proc)

    def operator(
        self,
        pingone: Simulator | Mapping[str, str],
        kubeconfig: str | os.PathLike[str],
        *,
        args: Sequence[str] | None = None,
        extra_env: Mapping[str, str | None] | None = None,
        liveness: bool = True,
        metrics: bool = True,
        ready_line: str | re.Pattern[str] | None = None,
        ready_timeout: float = 60.0,
        wait: bool = True,
        name: str = "operator",
        stop_timeout: float = 15.0,
    ) -> Operator:
        """`pingone-operator run <args>` (default `--all-namespaces`) against `kubeconfig`, signing in
        to `pingone` (a Simulator, or PINGONE_* variables). `extra_env` values of None remove a
        variable. Liveness and metrics listen on free loopback ports (never the defaults 8080/9090:
        operators run side by side), or are off with liveness=False / metrics=False, unless `args`
        name a port. With `wait`, returns once /healthz answers and `ready_line` was logged."""
        env = child_env()
        env["KUBECONFIG"] = os.fspath(kubeconfig)
        env.update(pingone.operator_env() if isinstance(pingone, Simulator) else pingone)
        for key, value in (extra_env or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        run_args = list(args) if args is not None else ["--all-namespaces"]
        liveness_url = _listen(run_args, "liveness", liveness, "/healthz")
        metrics_url = _listen(run_args, "metrics", metrics, "/metrics")
        proc = self._start(name, [*operator_command(), "run", *run_args], env, stop_timeout)
        operator = Operator(proc, liveness_url=liveness_url, metrics_url=metrics_url, ready_line=ready_line,
                            ready_timeout=ready_timeout)
        return operator.wait_ready() if wait else operator
