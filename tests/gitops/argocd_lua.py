"""Run Argo CD resource health scripts the way Argo CD does, in lupa's Lua 5.1.

Argo CD (``util/lua/lua.go``) runs a health script in gopher-lua (Lua 5.1) with ``obj`` set to
the live object converted to Lua tables, and reads the returned table's ``status`` and
``message``. Scripts configured in ``argocd-cm`` get only the base, package and table libraries
plus a "safe" ``os`` (``time``, ``date``), unless ``useOpenLibs`` is set; Argo CD's own unit
tests of built-in scripts run with the open libraries. ``sandboxed=True`` reproduces the
restricted set, including the absence of string methods (``s:upper()``), which in gopher-lua come
from the string library too; ``sandboxed=False`` is the open-libraries mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from lupa import lua51

REPO_ROOT = Path(__file__).resolve().parents[2]
CUSTOMIZATIONS = REPO_ROOT / "argocd" / "resource_customizations"
HEALTH_DIR = CUSTOMIZATIONS / "pingone-operator.dev" / "PingOneApplication"
HEALTH_LUA = HEALTH_DIR / "health.lua"
CONNECTION_DIR = CUSTOMIZATIONS / "pingone-operator.dev" / "PingOneConnection"
ACTIONS_DIR = HEALTH_DIR / "actions"
VALID_STATUSES = {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}

# What argocd-cm scripts may use (base + package + table + safe os); everything else goes.
_SANDBOX = """
local keep = {
  assert = true, error = true, getmetatable = true, ipairs = true, next = true, pairs = true,
  pcall = true, rawequal = true, rawget = true, rawset = true, select = true, setmetatable = true,
  tonumber = true, tostring = true, type = true, unpack = true, xpcall = true, _G = true,
  _VERSION = true, getfenv = true, setfenv = true, load = true, loadstring = true,
  module = true, require = true, package = true, table = true, os = true,
}
local safe_os = { time = os.time, date = os.date }
-- gopher-lua without the string library has no string methods either.
getmetatable("").__index = nil
local names = {}
for name in pairs(_G) do names[#names + 1] = name end
for _, name in ipairs(names) do
  if not keep[name] then _G[name] = nil end
end
os = safe_os
package.loaded.os = safe_os
"""


def _to_lua(lua: Any, value: Any) -> Any:
    """Like Argo CD's decodeValue: maps and lists become tables (lists 1-based), null is nil."""
    if isinstance(value, dict):
        table = lua.table()
        for key, item in value.items():
            if item is not None:
                table[key] = _to_lua(lua, item)
        return table
    if isinstance(value, list):
        table = lua.table()
        for index, item in enumerate(value, start=1):
            if item is not None:
                table[index] = _to_lua(lua, item)
        return table
    return value


def _from_lua(lua: Any, value: Any) -> Any:
    """Like Argo CD's luajson.Encode: a table with keys 1..n is a list (an empty one too), others maps."""
    if lua.eval("type")(value) != "table":
        return value
    items = dict(value.items())
    if all(isinstance(k, int) for k in items) and sorted(items) == list(range(1, len(items) + 1)):
        return [_from_lua(lua, items[k]) for k in sorted(items)]
    return {k: _from_lua(lua, v) for k, v in items.items()}


def _run(obj: dict[str, Any], script: str, sandboxed: bool) -> tuple[Any, Any]:
    """(the Lua runtime, what `script` returned), with `obj` set as Argo CD sets it."""
    lua = lua51.LuaRuntime(register_eval=False, register_builtins=False)
    if sandboxed:
        lua.execute(_SANDBOX)
    lua.globals()["obj"] = _to_lua(lua, obj)
    result = lua.execute(script)
    if lua.eval("type")(result) != "table":
        raise TypeError(f"expect table output from Lua script, not {lua.eval('type')(result)}")
    return lua, result


def run_action_discovery(obj: dict[str, Any], *, script: str | None = None,
                         sandboxed: bool = True) -> dict[str, dict[str, Any]]:
    """The actions discovery.lua offers for `obj`: {name: {"disabled": ..., ...}}."""
    lua, result = _run(obj, script if script is not None else (ACTIONS_DIR / "discovery.lua").read_text(), sandboxed)
    actions = _from_lua(lua, result)
    return actions if isinstance(actions, dict) else {}


def run_action(obj: dict[str, Any], action: str, *, sandboxed: bool = True) -> dict[str, Any]:
    """The object the action returns (Argo CD patches the live object to it)."""
    lua, result = _run(obj, (ACTIONS_DIR / action / "action.lua").read_text(), sandboxed)
    return _from_lua(lua, result)


def run_health(obj: dict[str, Any], *, script: str | None = None, sandboxed: bool = True,
               health_dir: Path = HEALTH_DIR) -> dict[str, Any]:
    """The health status the script returns for `obj`: {"status": ..., "message": ...}.

    Like Argo CD, a status outside the valid set becomes Unknown ("Lua returned an invalid health
    status"); a script error or a non-table return raises.
    """
    _, result = _run(obj, script if script is not None else (health_dir / "health.lua").read_text(), sandboxed)
    health = {k: v for k, v in {"status": result["status"], "message": result["message"]}.items() if v is not None}
    if health.get("status") not in VALID_STATUSES:
        return {"status": "Unknown", "message": "Lua returned an invalid health status"}
    return health


def load_cases(health_dir: Path = HEALTH_DIR) -> list[dict[str, Any]]:
    """The cases of health_test.yaml, each with its parsed object under "obj"."""
    spec = yaml.safe_load((health_dir / "health_test.yaml").read_text())
    return [{**case, "obj": yaml.safe_load((health_dir / case["inputPath"]).read_text())} for case in spec["tests"]]
