"""Fixtures for the install-path tests (Helm chart, kustomize base, Dockerfile).

helm and kubeconform come from ``testbed/build.sh`` (``make controlplane``), promtool from
``testbed/build.sh promtool`` (``make testbed``); a test that needs one of them is skipped,
saying so, when it has not been built.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from testbed.cluster import BUILD_SCRIPT, ControlPlaneError, find_binaries

# The operator under a real API server (the RBAC test) reuses the e2e fixtures.
from tests.e2e.conftest import admin, operator_factory, simulator, simulator_factory  # noqa: F401

from tests.install.helpers import CHART, NAMESPACE, RELEASE, value_args


def _tool(name: str) -> Path:
    try:
        tools_bin = find_binaries()[1]
    except ControlPlaneError as exc:
        pytest.skip(f"cannot locate the test bed's tools: {exc}")
    path = tools_bin / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.skip(f"{name} is not built yet ({path}); `make controlplane` builds it")
    return path


@pytest.fixture(scope="session")
def helm_bin() -> Path:
    return _tool("helm")


@pytest.fixture(scope="session")
def kubeconform_bin() -> Path:
    return _tool("kubeconform")


@pytest.fixture(scope="session")
def promtool_bin() -> Path:
    # Its own cache folder (testbed/build.sh promtool), not the helm/kubeconform one.
    result = subprocess.run(["bash", str(BUILD_SCRIPT), "print-promtool"], capture_output=True, text=True,
                            timeout=60)
    path = Path(result.stdout.strip())
    if result.returncode != 0 or not (path.is_file() and os.access(path, os.X_OK)):
        pytest.skip(f"promtool is not built yet ({path}); `testbed/build.sh promtool` builds it")
    return path


@pytest.fixture(scope="session")
def helm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Helm with private cache/config dirs and no cluster: lint and template must not need one."""
    home = tmp_path_factory.mktemp("helm-home")
    env = dict(os.environ, HELM_CACHE_HOME=str(home / "cache"), HELM_CONFIG_HOME=str(home / "config"),
               HELM_DATA_HOME=str(home / "data"))
    env.pop("KUBECONFIG", None)
    return env


HelmRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def helm(helm_bin: Path, helm_env: dict[str, str]) -> HelmRun:
    """helm(*args) -> CompletedProcess (never raises on a non-zero exit)."""

    def run(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(helm_bin), *map(str, args)], capture_output=True, text=True,
                              env=helm_env, timeout=120)

    return run


Render = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def render(helm: HelmRun, tmp_path: Path) -> Render:
    """render(values=None, files=(), release=RELEASE, namespace=NAMESPACE, extra=()) -> objects.

    Runs `helm template` and fails the test with helm's stderr if it does not succeed.
    """

    def run(values: Mapping[str, Any] | None = None, files: Sequence[str] = (), *, release: str = RELEASE,
            namespace: str = NAMESPACE, extra: Sequence[str] = ()) -> list[dict[str, Any]]:
        result = helm("template", release, CHART, "--namespace", namespace,
                      *value_args(values, files, tmp_path), *extra)
        assert result.returncode == 0, f"helm template failed:\n{result.stderr}"
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    return run
