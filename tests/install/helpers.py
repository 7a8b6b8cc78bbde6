"""Paths and small helpers shared by the install-path tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART = REPO_ROOT / "helm" / "pingone-operator"
DEPLOY = REPO_ROOT / "deploy"
VALUES_DIR = Path(__file__).resolve().parent / "values"
RELEASE = "pingone-operator"
NAMESPACE = "pingone-operator"
# `helm template --api-versions` with it renders the chart's finalizer policy (Kubernetes 1.36+).
MUTATING_POLICY_API = "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy"


def value_args(values: Mapping[str, Any] | None = None, files: Sequence[str] = (),
               tmp_dir: Path | None = None) -> list[str]:
    args: list[str] = []
    for name in files:
        args += ["-f", str(VALUES_DIR / name)]
    if values:
        assert tmp_dir is not None
        path = tmp_dir / f"values-{len(list(tmp_dir.glob('values-*.yaml')))}.yaml"
        path.write_text(yaml.safe_dump(dict(values)))
        args += ["-f", str(path)]
    return args


def find(objects: Sequence[dict[str, Any]], kind: str, name: str | None = None,
         namespace: str | None = None) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind
               and (name is None or o["metadata"]["name"] == name)
               and (namespace is None or o["metadata"].get("namespace") == namespace)]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}: " + \
        ", ".join(f"{o['kind']}/{o['metadata']['name']}" for o in objects)
    return matches[0]


def kinds(objects: Sequence[dict[str, Any]]) -> list[str]:
    return sorted(o["kind"] for o in objects)
