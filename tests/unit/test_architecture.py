"""The layers of ARCHITECTURE.md, checked: who may import what, and thin kopf handlers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "operator" / "pingone_operator"

# Each module's layer; a module may import its own layer and the ones below, never above.
LAYERS = {
    "__init__": 0, "config": 0, "api": 0,
    "plan": 1, "ports": 1, "pingone.errors": 1,  # pure decisions, and the ports' vocabulary
    "reconciler": 2, "lists": 2, "pingone": 2, "kube": 2,  # the reconciler, and the adapters of its ports
    "base_reconciler": 2, "resource_reconciler": 2,  # the generic half, and the PingOneResource reconciler
    "connections": 3,
    "metrics": 4, "service": 4, "factory": 4, "export": 4,
    "controller": 5,
    "cli": 6,
}
# Third-party clients each live in one place (the simulator is its own package).
ONLY_UNDER = {"kopf": "controller", "aiohttp": "controller", "httpx": "pingone", "kubernetes": "kube", "urllib3": "kube"}
FORBIDDEN_IN_PLAN = ("kopf", "httpx", "kubernetes", "urllib3", "aiohttp", "asyncio", "prometheus_client")


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        found[name.removesuffix(".__init__") or "__init__"] = ast.parse(path.read_text())
    return found


def layer(module: str) -> int:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYERS[prefix]
    raise AssertionError(f"{module} is in no layer: add it to ARCHITECTURE.md and LAYERS")


def imports(module: str, tree: ast.Module) -> list[tuple[str, bool]]:
    """(imported module, is ours) for every import, relative ones resolved."""
    package = module.split(".")[:-1] if module != "__init__" and not _is_package(module) else module.split(".")
    if module == "__init__":
        package = []
    result = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            result += [(alias.name, False) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                ours = (node.module or "").startswith("pingone_operator")
                target = (node.module or "").removeprefix("pingone_operator").lstrip(".")
                result.append((target if ours else node.module, ours))
                continue
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = ".".join([*base, node.module] if node.module else base)
            if node.module is None:  # `from . import x`: each name may be a module
                result += [(".".join([*base, alias.name]) if (".".join([*base, alias.name])) in modules_cache
                            else target or "__init__", True) for alias in node.names]
            else:
                result.append((target or "__init__", True))
    return result


def _is_package(module: str) -> bool:
    return (PACKAGE / module.replace(".", "/") / "__init__.py").exists()


modules_cache = modules()


@pytest.mark.parametrize("module", sorted(modules_cache))
def test_no_import_runs_upward(module):
    for target, ours in imports(module, modules_cache[module]):
        if ours:
            assert layer(target) <= layer(module), f"{module} (layer {layer(module)}) imports {target} " \
                                                   f"(layer {layer(target)})"


@pytest.mark.parametrize("module", sorted(modules_cache))
def test_each_client_library_is_imported_in_one_place(module):
    for target, ours in imports(module, modules_cache[module]):
        root = target.split(".")[0]
        if not ours and root in ONLY_UNDER:
            home = ONLY_UNDER[root]
            assert module == home or module.startswith(home + "."), f"{module} imports {root}"


@pytest.mark.parametrize("module", [m for m in sorted(modules_cache) if m == "plan" or m.startswith("plan.")])
def test_the_plan_is_pure(module):
    for target, ours in imports(module, modules_cache[module]):
        assert ours or target.split(".")[0] not in FORBIDDEN_IN_PLAN, f"{module} imports {target}"


def test_kopf_handlers_are_thin():
    tree = modules_cache["controller.handlers"]
    handlers = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                and any("kopf" in ast.unparse(d) for d in n.decorator_list)]
    assert len(handlers) >= 9
    for handler in handlers:
        body = handler.body[1:] if isinstance(handler.body[0], ast.Expr) else handler.body  # the docstring aside
        lines = body[-1].end_lineno - body[0].lineno + 1
        assert lines <= 15, f"{handler.name} is {lines} lines"


def test_the_layers_cover_every_module():
    for module in modules_cache:
        layer(module)
