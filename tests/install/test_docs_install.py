"""docs/install.md: its Argo CD health check runs (with lupa, as Argo CD runs Lua) and says
what it claims; its YAML examples parse."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.install.helpers import REPO_ROOT

DOC = REPO_ROOT / "docs" / "install.md"
HEALTH_KEY = "resource.customizations.health.pingone-operator.dev_PingOneApplication"


def yaml_blocks() -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```", DOC.read_text(), re.M | re.S)


def test_yaml_examples_parse():
    blocks = yaml_blocks()
    assert len(blocks) >= 4
    for block in blocks:
        assert list(yaml.safe_load_all(block))


def test_argocd_application_example():
    (app,) = [yaml.safe_load(b) for b in yaml_blocks() if "kind: Application\n" in b]
    assert app["spec"]["source"]["path"] == "helm/pingone-operator"
    assert "ServerSideApply=true" in app["spec"]["syncPolicy"]["syncOptions"]
    assert int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) < 0
    (cr,) = [yaml.safe_load(b) for b in yaml_blocks() if "kind: PingOneApplication" in b]
    assert int(cr["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) > 0
    from pingone_operator.models import PingOneApplicationSpec

    PingOneApplicationSpec.model_validate(cr["spec"])


@pytest.fixture(scope="module")
def health():
    lupa = pytest.importorskip("lupa")
    (block,) = [b for b in yaml_blocks() if HEALTH_KEY in b]
    script = yaml.safe_load(block)["data"][HEALTH_KEY]
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    check = lua.eval(f"function(obj)\n{script}\nend")

    def run(obj: dict[str, Any]) -> tuple[str, str]:
        result = check(lua.table_from(obj, recursive=True))
        return result["status"], result["message"]

    return run


def app(generation: int = 1, *conditions: dict[str, Any]) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": {"name": "a", "generation": generation}}
    if conditions:
        obj["status"] = {"conditions": list(conditions)}
    return obj


def ready(status: str, reason: str, generation: int = 1, message: str = "m") -> dict[str, Any]:
    return {"type": "Ready", "status": status, "reason": reason, "message": message,
            "observedGeneration": generation}


def test_health_progressing_without_status(health):
    assert health(app()) == ("Progressing", "Waiting for the operator")


def test_health_ready(health):
    synced = {"type": "Synced", "status": "True", "reason": "Synced", "observedGeneration": 2}
    assert health(app(2, synced, ready("True", "Ready", 2, "ok"))) == ("Healthy", "ok")


def test_health_stale_generation_is_progressing(health):
    assert health(app(3, ready("True", "Ready", 2)))[0] == "Progressing"


def test_health_failures(health):
    assert health(app(1, ready("False", "InvalidSpec", message="PingOne refused")))[0] == "Degraded"
    assert health(app(1, ready("False", "RateLimited")))[0] == "Progressing"
    assert health(app(1, ready("False", "PingOneUnavailable")))[0] == "Progressing"
