"""kube/client: calls by path, without the kubernetes client's generated API classes."""

from __future__ import annotations

import subprocess
import sys

from pingone_operator.kube.client import path
from pingone_operator.kube.secrets import SECRET


def test_path_parameters_are_quoted():
    assert path(SECRET, namespace="team-a", name="app/../x") == "/api/v1/namespaces/team-a/secrets/app%2F..%2Fx"


def test_the_operator_never_imports_the_generated_api_classes():
    """`CoreV1Api` alone is ~20 MB of the process (its ~250 models and ~63,000 lines of methods)."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, pingone_operator.controller.handlers, pingone_operator.factory; "
         "print('\\n'.join(m for m in sys.modules if m.startswith('kubernetes.client.api.')))"],
        capture_output=True, text=True, check=True, timeout=120).stdout.split()
    assert loaded == []
