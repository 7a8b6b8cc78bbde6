"""Fixtures of the gitops tests.

- The e2e fixtures (simulator, operator, kube, namespaces), for the tests that run the operator.
- ``argocd`` (function): a real Argo CD (``testbed.argocd.ArgoCD``: redis, repo server,
  application controller, API server) on the session's control plane, with our argocd-cm patch
  merged in the way docs/gitops.md tells users; its logs go into a failing test's report. Every
  Application is deleted afterwards.
- ``repo`` (function): a fresh local git repository (``testbed.argocd.GitRepo``, a file:// URL).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.argocd import ArgoCD, ArgoCDError, GitRepo
from tests.e2e.conftest import (  # noqa: F401 - fixtures are found by name
    admin,
    crd,
    kube,
    operator,
    operator_factory,
    simulator,
    simulator_factory,
    start_operator,
)

CM_PATCH = Path(__file__).resolve().parents[2] / "argocd" / "argocd-cm-patch.yaml"


@pytest.fixture
def argocd(control_plane, process_factory, tmp_path):
    try:
        argo = ArgoCD(control_plane, tmp_path / "argocd", spawn=process_factory)
        argo.install(cm_patch=CM_PATCH)
        argo.start()
    except ArgoCDError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield argo
    # No Application outlives its test (none has the resources finalizer: what it deployed stays,
    # in the test's namespace, which goes too).
    control_plane.kubectl("delete", "applications.argoproj.io", "--all", "-n", "argocd", "--wait=false", check=False)


@pytest.fixture
def repo(tmp_path) -> GitRepo:
    return GitRepo(tmp_path / "repo")
