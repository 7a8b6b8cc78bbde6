"""The Dockerfile, without a Docker engine: lint its essentials, and prove that its build
context installs into a fresh virtualenv and yields a working `pingone-operator` command."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from tests.install.helpers import CHART, REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
SECRET_WORDS = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|API_?KEY|PRIVATE|CLIENT_ID", re.I)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or not line:
            continue
        pending = f"{pending} {line}" if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        keyword, _, args = pending.partition(" ")
        result.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "dangling line continuation"
    return result


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for keyword, args in instructions():
        if keyword == "FROM":
            out.append([])
        if out:
            out[-1].append((keyword, args))
    return out


def test_multi_stage_from_a_slim_python_base():
    all_stages = stages()
    assert len(all_stages) >= 2, "multi-stage: build tools stay out of the runtime image"
    base_args = dict(a.split("=", 1) for k, a in instructions() if k == "ARG" and "=" in a)
    for stage in all_stages:
        image = stage[0][1].split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: base_args[m[1]], image)
        assert re.fullmatch(r"python:3\.(11|12)-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image), image


def test_dependencies_come_from_the_project_metadata():
    runs = " ".join(a for k, a in stages()[0] if k == "RUN")
    assert re.search(r"pip install --constraint constraints\.txt \.(\s|$)", runs), \
        "install with `pip install --constraint constraints.txt .`"
    assert "requirements" not in runs
    copies = [a for k, a in stages()[0] if k == "COPY"]
    assert any("pyproject.toml" in c for c in copies) and any(c.startswith("operator") for c in copies)


def test_runtime_stage_is_non_root_with_an_exec_form_entrypoint():
    runtime = stages()[-1]
    users = [a for k, a in runtime if k == "USER"]
    assert users, "the runtime stage sets USER"
    assert re.fullmatch(r"[1-9][0-9]*(:[0-9]+)?", users[-1]), \
        f"USER {users[-1]!r} must be numeric, or the kubelet cannot check runAsNonRoot"
    assert [k for k, _ in runtime].index("USER") > max(i for i, (k, _) in enumerate(runtime) if k in ("RUN", "COPY"))
    (entrypoint,) = [a for k, a in runtime if k == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["pingone-operator", "run"], "exec form: no shell, signals reach kopf"
    assert not [a for k, a in runtime if k == "CMD"], "scope flags come from the chart's args"
    assert any(k == "COPY" and a.startswith("--from=") for k, a in runtime)


def test_user_matches_the_chart_security_context():
    uid = int([a for k, a in stages()[-1] if k == "USER"][-1].split(":")[0])
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert values["podSecurityContext"]["runAsUser"] == uid
    exposed = [a for k, a in stages()[-1] if k == "EXPOSE"]
    assert str(values["livenessProbe"]["port"]) in " ".join(exposed)


def test_no_secrets_in_build_arguments_or_environment():
    for keyword, args in instructions():
        if keyword in ("ARG", "ENV"):
            names = re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)(?==|\s|$)", args)
            bad = [n for n in names if SECRET_WORDS.search(n)]
            assert not bad, f"{keyword} {args!r} looks like a secret: pass credentials at run time"
        if keyword == "ADD":
            assert "://" not in args, "ADD of a URL fetches unverified content"


def test_oci_labels():
    labels = " ".join(a for k, a in stages()[-1] if k == "LABEL")
    for key in ("title", "description", "version", "revision", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_python_environment_suits_a_read_only_root():
    env = " ".join(a for k, a in stages()[-1] if k == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env and "PYTHONUNBUFFERED=1" in env


# ---- the build context ----------------------------------------------------------------------


def _ignored(rel: str, patterns: list[tuple[bool, str]]) -> bool:
    """Docker's .dockerignore rules: the last matching pattern wins; `!` re-includes; a pattern
    matching a folder covers everything under it; `**` matches any number of folders."""
    excluded = False
    parts = rel.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for negate, pattern in patterns:
        regex = re.compile(
            "^" + re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
            .replace(r"\?", "[^/]") + "$"
        )
        if any(regex.match(p) for p in prefixes):
            excluded = not negate
    return excluded


def build_context() -> list[str]:
    patterns = []
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negate = line.startswith("!")
            patterns.append((negate, line.lstrip("!").strip("/")))
    files = []
    for root, dirs, names in os.walk(REPO_ROOT):
        dirs[:] = [d for d in dirs if d not in (".git", ".venv")]
        for name in names:
            rel = os.path.relpath(os.path.join(root, name), REPO_ROOT)
            if not _ignored(rel, patterns):
                files.append(rel)
    return sorted(files)


def test_dockerignore_keeps_the_context_to_what_pip_needs():
    context = build_context()
    for needed in ("pyproject.toml", "README.md", "constraints.txt", "operator/pingone_operator/cli.py",
                   "operator/pingone_operator/py.typed"):
        assert needed in context
    assert all(f in ("pyproject.toml", "README.md", "constraints.txt") or f.startswith("operator/pingone_operator/") for f in context), \
        [f for f in context if not f.startswith("operator/")]
    assert not [f for f in context if "__pycache__" in f or f.endswith(".pyc") or ".egg-info" in f]
    assert fnmatch.filter(context, "operator/pingone_operator/*.py")
    assert not [f for f in context if f.startswith("operator/pingone_simulator/")]  # the simulator is not shipped


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Docker build context, installed with `pip install <context>` into a fresh venv."""
    tmp = tmp_path_factory.mktemp("image")
    context = tmp / "context"
    for rel in build_context():
        (context / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / rel, context / rel)
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
         "--constraint", str(context / "constraints.txt"), str(context)],
        capture_output=True, text=True, timeout=900, cwd=tmp,
    )
    assert result.returncode == 0, f"pip install of the build context failed:\n{result.stdout}\n{result.stderr}"
    check = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    return env_dir / "bin"


def _clean_env(bin_dir: Path) -> dict[str, str]:
    """As in the container: no PINGONE_*, no kubeconfig, the venv first on PATH."""
    keep = {"HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PATH"] = f"{bin_dir}{os.pathsep}/usr/bin:/bin"
    return env


def test_installed_command_help(installed):
    result = subprocess.run([str(installed / "pingone-operator"), "--help"], capture_output=True, text=True,
                            env=_clean_env(installed), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "run" in result.stdout and "crds" in result.stdout


def test_installed_command_run_without_configuration(installed):
    result = subprocess.run([str(installed / "pingone-operator"), "run"], capture_output=True, text=True,
                            env=_clean_env(installed), timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert any("PINGONE_ENVIRONMENT_ID" in line for line in result.stderr.splitlines()), result.stderr


def test_installed_package_is_not_the_checkout(installed):
    """The test really exercised the installed copy, not the editable checkout."""
    python = installed / "python"
    where = subprocess.run([str(python), "-c", "import pingone_operator; print(pingone_operator.__file__)"],
                           capture_output=True, text=True, env=_clean_env(installed), timeout=60, cwd="/")
    assert where.returncode == 0, where.stderr
    assert "site-packages" in where.stdout and str(REPO_ROOT) not in where.stdout
    assert sys.version_info >= (3, 11)
