"""The `simulator` command: ready line, seeded credentials, clean shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest

READY = re.compile(r"^PingOne simulator listening: (.*)$")


def start(*args: str) -> tuple[subprocess.Popen, dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "pingone_simulator", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = READY.match(line.strip())
    if not match:
        proc.kill()
        raise AssertionError(f"unexpected first line {line!r}; stderr: {proc.stderr.read()}")
    return proc, dict(part.split("=", 1) for part in match.group(1).split())


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=10)
    finally:
        proc.stdout.close()
        proc.stderr.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_random_credentials_are_not_printed(sig):
    proc, env = start()
    try:
        assert re.match(r"^http://127\.0\.0\.1:\d+/v1$", env["PINGONE_API_URL"])
        assert env["PINGONE_AUTH_URL"] == env["PINGONE_API_URL"][:-3]
        assert not env["PINGONE_API_URL"].endswith(":0/v1")
        assert {"PINGONE_ENVIRONMENT_ID", "PINGONE_CLIENT_ID"} <= set(env)
        assert "PINGONE_CLIENT_SECRET" not in env
        health = httpx.get(env["PINGONE_AUTH_URL"] + "/_simulator/health").json()
        assert health["clientId"] == env["PINGONE_CLIENT_ID"]
    finally:
        assert stop(proc, sig) == 0


def test_known_credentials_and_print_credentials():
    env_id = "11111111-2222-3333-4444-555555555555"
    proc, env = start("--environment-id", env_id, "--worker-client-id", "demo-worker",
                      "--worker-client-secret", "demo-secret-value", "--worker-auth-method", "CLIENT_SECRET_POST",
                      "--token-lifetime", "600", "--print-credentials")
    try:
        assert env["PINGONE_ENVIRONMENT_ID"] == env_id
        assert env["PINGONE_CLIENT_SECRET"] == "demo-secret-value"
        token = httpx.post(f"{env['PINGONE_AUTH_URL']}/{env_id}/as/token", data={
            "grant_type": "client_credentials", "client_id": "demo-worker", "client_secret": "demo-secret-value"})
        assert token.status_code == 200 and token.json()["expires_in"] == 600
        listing = httpx.get(f"{env['PINGONE_API_URL']}/environments/{env_id}/applications",
                            headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert listing.status_code == 200
    finally:
        assert stop(proc) == 0


def test_filter_mode_and_page_size_flags():
    proc, env = start("--filter-mode", "ignore", "--page-size", "1")
    try:
        settings = httpx.get(env["PINGONE_AUTH_URL"] + "/_simulator/settings").json()
        assert settings["filterMode"] == "ignore" and settings["pageSize"] == 1
    finally:
        assert stop(proc) == 0
    for bad in (["--filter-mode", "sometimes"], ["--page-size", "0"]):
        refused = subprocess.run([sys.executable, "-m", "pingone_simulator", *bad],
                                 capture_output=True, text=True, timeout=20)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, bad


def test_port_in_use_fails_cleanly():
    proc, env = start()
    try:
        port = env["PINGONE_API_URL"].rsplit(":", 1)[1].split("/")[0]
        second = subprocess.run([sys.executable, "-m", "pingone_simulator", "--port", port],
                                capture_output=True, text=True, timeout=20)
        assert second.returncode == 1
        assert "Traceback" not in second.stderr
    finally:
        assert stop(proc) == 0


def test_threaded_simulator_for_synchronous_callers():
    from pingone_simulator import SimulatorConfig, ThreadedSimulator

    threaded = ThreadedSimulator(SimulatorConfig(worker_client_id="sync-worker", worker_client_secret="s" * 64))
    with threaded as running:
        token = httpx.post(f"{running.auth_url}/{running.environment_id}/as/token",
                           data={"grant_type": "client_credentials"}, auth=("sync-worker", "s" * 64))
        assert token.status_code == 200
        apps = threaded.call(running.state.list_applications, running.environment_id)
        assert [a["id"] for a in apps] == ["sync-worker"]
