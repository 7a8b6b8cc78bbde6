"""Tests of the process fixtures: process_factory, simulator, operator_factory.

The process_factory tests use a stand-in service (tests/fixtures/fake_service.py) and need no
cluster. The simulator and operator tests check the fixtures' contracts with the real commands and
skip while those commands are not implemented yet.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from testbed.process import ManagedProcess, ProcessError, free_port, http_get

pytestmark = pytest.mark.e2e

FAKE_SERVICE = Path(__file__).resolve().parent.parent / "fixtures" / "fake_service.py"
READY = r"READY url=(?P<url>\S+)"


def test_process_factory_ready_line_logs_restart_kill(process_factory):
    proc = process_factory("fake", [sys.executable, "-u", str(FAKE_SERVICE)], ready_line=READY, timeout=20)
    url = proc.wait_for_line(READY).group("url")
    assert http_get(f"{url}/healthz") == (200, "ok")
    assert "READY" in proc.log_text()

    proc.restart()
    url2 = proc.wait_for_line(READY, timeout=20).group("url")  # only the new run's output is searched
    assert url2 != url or proc.starts == 2
    log = proc.log_text()
    assert "stopping on SIGTERM" in log and "restarted" in log and log.count("READY") == 2
    assert "stopping" not in proc.log_text(current_run=True)

    assert proc.kill() == -signal.SIGKILL
    assert not proc.running


def test_process_factory_ready_url_and_graceful_stop(process_factory):
    port = free_port()
    proc = process_factory("fake-http", [sys.executable, str(FAKE_SERVICE), "--port", str(port)],
                           ready_url=f"http://127.0.0.1:{port}/healthz", timeout=20)
    assert proc.stop() == 0
    assert "stopping on SIGTERM" in proc.log_text()


def test_stop_escalates_to_sigkill(tmp_path):
    proc = ManagedProcess("stubborn", [sys.executable, "-u", str(FAKE_SERVICE), "--ignore-sigterm"],
                          log_path=tmp_path / "stubborn.log", stop_timeout=1.0).start()
    proc.wait_for_line(READY, timeout=20)
    assert proc.stop() == -signal.SIGKILL
    assert "ignoring SIGTERM" in proc.log_text()


def test_early_exit_reports_log_tail(tmp_path):
    proc = ManagedProcess("quitter", [sys.executable, "-u", str(FAKE_SERVICE), "--exit-after", "0.2"],
                          log_path=tmp_path / "quitter.log").start()
    with pytest.raises(ProcessError) as excinfo:
        proc.wait_for_line("never printed", timeout=20)
    message = str(excinfo.value)
    assert "exited with code 3" in message and "exiting on my own" in message


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def test_simulator_fixture(simulator_factory):
    if not _has_module("pingone_simulator.cli"):
        pytest.skip("the PingOne simulator (pingone_simulator.cli) is not implemented yet")
    sim = simulator_factory()
    assert sim.api_url.startswith("http://127.0.0.1:") and sim.api_url.endswith("/v1")
    assert sim.auth_url.startswith("http://127.0.0.1:")
    assert sim.operator_env()["PINGONE_ENVIRONMENT_ID"] == sim.environment_id
    assert "PINGONE_API_URL=" in sim.log_text()
    assert http_get(f"{sim.admin_url}/requests")[0] == 200


def test_operator_factory(operator_factory, control_plane, kubectl):
    if not (_has_module("pingone_operator.controller.runner") and _has_module("pingone_operator.api.crd")
            and _has_module("pingone_simulator.cli")):
        pytest.skip("the operator runner, CRDs or simulator are not implemented yet")
    crds = subprocess.run([sys.executable, "-m", "pingone_operator.cli", "crds"],
                          capture_output=True, text=True, check=True).stdout
    kubectl("apply", "--server-side", "-f", "-", input=crds)
    operator = operator_factory()
    assert operator.running and operator.liveness_url
    assert http_get(operator.liveness_url)[0] == 200
    operator.restart()
    assert operator.running
    assert operator.kill() == -signal.SIGKILL
    assert operator.logs()
