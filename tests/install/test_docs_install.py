"""docs/install.md: its YAML examples parse and say what they claim; the Argo CD health check
lives in one place (argocd/, tested by tests/gitops)."""

from __future__ import annotations

import re
import yaml

from tests.install.helpers import REPO_ROOT

DOC = REPO_ROOT / "docs" / "install.md"
HEALTH_KEY = "resource.customizations.health.pingone-operator.dev_PingOneApplication"


def yaml_blocks() -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```", DOC.read_text(), re.M | re.S)


def test_yaml_examples_parse():
    blocks = yaml_blocks()
    assert len(blocks) >= 3
    for block in blocks:
        assert list(yaml.safe_load_all(block))


def test_argocd_application_example():
    (app,) = [yaml.safe_load(b) for b in yaml_blocks() if "kind: Application\n" in b]
    assert app["spec"]["source"]["path"] == "helm/pingone-operator"
    assert "ServerSideApply=true" in app["spec"]["syncPolicy"]["syncOptions"]
    assert int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) < 0
    (cr,) = [yaml.safe_load(b) for b in yaml_blocks() if "kind: PingOneApplication" in b]
    assert int(cr["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) > 0
    from pingone_operator.api import PingOneApplicationSpec

    PingOneApplicationSpec.model_validate(cr["spec"])


def test_health_check_points_to_the_one_tested_script():
    """One health check: the one tests/gitops runs; install.md only points to it."""
    text = DOC.read_text()
    assert HEALTH_KEY not in text
    assert "argocd/argocd-cm-patch.yaml" in text and "gitops.md" in text
    assert (REPO_ROOT / "argocd" / "argocd-cm-patch.yaml").is_file()
