"""A PingOneResource's scopes, owned three-way like an application's lists (plan/lists.py):

- scopes the spec declares are enforced (created, or updated when their description differs);
- scopes never declared are left alone (a console-made scope survives every sync);
- scopes declared at the last successful sync (status.managedScopes) and since removed are deleted.

Pure: PingOne's scopes come in as data; plan/lists.py's `changes` orders the requests.
"""

from __future__ import annotations

from typing import Any

from .lists import Change, Have, Wanted, changes

KIND = "scopes"  # PingOne's path under the resource, and how changes and drift name them


def wanted(spec: Any) -> list[Wanted]:
    result = []
    for scope in spec.scopes or []:
        body = {"name": scope.name, **({"description": scope.description} if scope.description else {})}
        result.append(Wanted(scope.name, (scope.name,), body, scope.description or None))
    return result


def have(items: list[dict[str, Any]]) -> list[Have]:
    return [Have(item["id"], (item.get("name"),), item.get("description") or None, True) for item in items]


def dropped(spec: Any, managed_before: list[str] | None) -> set[tuple[Any, ...]]:
    """Scopes declared at the last successful sync and no longer: they are deleted."""
    now = {s.name for s in spec.scopes or []}
    return {(name,) for name in managed_before or [] if name not in now}


def plan(spec: Any, managed_before: list[str] | None, items: list[dict[str, Any]], *,
         observe_only: bool) -> list[Change]:
    """The requests that make PingOne's scopes match. ObserveOnly keeps no managedScopes, so it
    has nothing to delete: it reports missing and differing scopes only."""
    before = set() if observe_only else dropped(spec, managed_before)
    return changes(KIND, wanted(spec), have(items), before, exclusive=False)


def drifted(planned: list[Change]) -> list[str]:
    return [f"{KIND}[{c.key}]" for c in planned]
