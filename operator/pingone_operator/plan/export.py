"""PingOne applications as PingOneApplication manifests: what `pingone-operator export` writes.

Pure: an application's JSON, its lists and the environment's catalogue come in as data. Out comes
a spec that validates against PingOneApplicationSpec and that, applied, shows no drift (checked
with the functions the reconciler itself uses), adopting the application as ObserveOnly. What
cannot be declared that way is left out with a note saying why: PingOne keeps an undeclared
field's value, whereas a shortened one would be drift (or, under Manage, a change).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .. import GROUP, KIND, VERSION
from ..api import ApplicationSettings, ManagementPolicy, PingOneApplicationSpec
from . import lists
from .fields import SERVER_MANAGED, declared_fields, drifted_fields
from .identity import protects

# Write-only credentials PingOne may echo: never in a manifest meant for Git.
SECRET_PATHS = tuple(f"mobile.integrityDetection.googlePlay.{key}"
                     for key in ("decryptionKey", "serviceAccountCredentials", "verificationKey"))
# Without these a spec would say something else (another type, another protocol): skip the application.
ESSENTIAL = frozenset({name for name, f in ApplicationSettings.model_fields.items() if f.is_required()}
                      | {"protocol", "environmentId", "adoptApplicationId", "managementPolicy", "connectionRef"})
# Parts of a PingOne attribute mapping the spec has no field for, with PingOne's defaults.
MAPPING_DEFAULTS: dict[str, Any] = {"idToken": True, "userInfo": True, "oidcScopes": None}
MAX_NAME = 63  # a DNS-1123 label: fits everywhere a resource name goes (and `<name>-oidc`)


@dataclass(frozen=True)
class Exported:
    app_id: str
    app_name: str
    spec: dict[str, Any] | None  # None: the application is skipped, notes[0] says why
    notes: list[str] = field(default_factory=list)  # each field left out, with the reason


def application_spec(app: dict[str, Any], environment_id: str, *, worker_id: str = "",
                     children: dict[str, list[dict[str, Any]]] | None = None,
                     catalogue: lists.Catalogue | None = None, connection_ref: str | None = None) -> Exported:
    """The spec that adopts `app` as ObserveOnly. `children`: PingOne's entries of each list
    (lists.KINDS) that could be read; a list not given is not exported."""
    app_id, name = str(app.get("id")), str(app.get("name"))
    refused = protects(worker_id, app)
    if refused:
        return Exported(app_id, name, None, [refused.message])
    notes: list[str] = []
    known = ApplicationSettings.model_fields
    spec: dict[str, Any] = {}
    for key, value in app.items():
        if key in SERVER_MANAGED or value is None:
            continue
        if key in known:
            spec[key] = copy.deepcopy(value)
        else:
            notes.append(f"{key}: left out, the operator does not model it (PingOne keeps its value)")
    for path in SECRET_PATHS:
        if _pop(spec, path.split(".")):
            notes.append(f"{path}: left out, a secret is never exported")
    spec.update(environmentId=environment_id, adoptApplicationId=app_id,
                managementPolicy=ManagementPolicy.OBSERVE_ONLY.value)
    if connection_ref:
        spec["connectionRef"] = {"name": connection_ref}
    catalogue = catalogue or lists.Catalogue()
    for kind, items in (children or {}).items():
        if kind == "roleAssignments" and app.get("type") != "WORKER":
            continue  # roles are for WORKER applications only (a CEL rule of the spec)
        entries, note = list_entries(kind, items, catalogue)
        if note:
            notes.append(note)
        elif entries:
            spec[lists.SPEC_FIELD[kind]] = entries
            notes += _unmodelled_mapping_parts(items) if kind == "attributes" else []

    for _ in range(len(spec) + 50):  # each round leaves out at least one field
        try:
            model = PingOneApplicationSpec.model_validate(spec)
        except ValidationError as exc:
            for path, why in _problems(exc):
                if not path or path[0] in ESSENTIAL:
                    return Exported(app_id, name, None, [f"{_dotted(path) or 'application'}: {why}"])
                if _pop(spec, path):
                    notes.append(f"{_dotted(path)}: left out, {why}")
            continue
        drifted = drifted_fields(declared_fields(model), app) + _list_drift(model, children or {}, catalogue)
        if not drifted:
            return Exported(app_id, name, model.model_dump(mode="json", exclude_unset=True, exclude_none=True), notes)
        for path in drifted:
            if path.split(".")[0] in ESSENTIAL:
                return Exported(app_id, name, None, [f"{path}: would show as drift"])
            _pop(spec, path.split("."))
            notes.append(f"{path}: left out, the operator would read it back differently (drift)")
    raise AssertionError(f"application {app_id}: export did not settle")  # unreachable: spec shrinks each round


def list_entries(kind: str, items: list[dict[str, Any]], catalogue: lists.Catalogue) -> tuple[list[Any], str | None]:
    """PingOne's entries of one list, by name as a spec declares them; or a note why not."""
    spec_field = lists.SPEC_FIELD[kind]
    if kind == "grants":
        resource_names = _reverse(catalogue.resources)
        grants: dict[str, list[str]] = {}
        for item in items:
            resource_id = (item.get("resource") or {}).get("id")
            resource = resource_names.get(resource_id)
            if resource is None:
                return [], f"{spec_field}: left out, resource {resource_id} is not among the environment's resources"
            if resource in grants:
                return [], f"{spec_field}: left out, two grants for resource {resource!r} (a spec has one per resource)"
            scope_names = _reverse(catalogue.scopes.get(resource_id, {}))
            scopes = [scope_names.get((s or {}).get("id")) for s in item.get("scopes") or []]
            if None in scopes:
                return [], f"{spec_field}: left out, a scope of resource {resource!r} is not among its scopes"
            grants[resource] = sorted(s for s in scopes if s)
        return [{"resource": r, "scopes": s} for r, s in sorted(grants.items())], None
    if kind == "attributes":
        # PingOne's core mappings (sub, ...) are not the spec's business: only custom ones.
        return sorted(({"name": i.get("name"), "value": i.get("value"), **({"required": True} if i.get("required") else {})}
                       for i in items if i.get("mappingType", "CUSTOM") == "CUSTOM"), key=lambda m: str(m["name"])), None
    if kind == "signOnPolicyAssignments":
        policy_names = _reverse(catalogue.policies)
        ordered = sorted(items, key=lambda i: i.get("priority") or 0)
        names = [policy_names.get((i.get("signOnPolicy") or {}).get("id")) for i in ordered]
        if None in names:
            return [], f"{spec_field}: left out, a sign-on policy is not among the environment's policies"
        return names, None
    role_names = _reverse(catalogue.roles)
    assignments = []
    for item in items:
        role = role_names.get((item.get("role") or {}).get("id"))
        if role is None:
            return [], f"{spec_field}: left out, role {(item.get('role') or {}).get('id')} is not among PingOne's roles"
        scope = item.get("scope") or {}
        assignments.append({"role": role, "scope": {"type": scope.get("type"), "id": scope.get("id")}})
    return sorted(assignments, key=lambda a: (a["role"], a["scope"]["type"] or "", a["scope"]["id"] or "")), None


def resource_names(apps: list[dict[str, Any]]) -> dict[str, str]:
    """Application id -> a unique DNS-1123 resource name made from the application's name."""
    taken: set[str] = set()
    result = {}
    for app in sorted(apps, key=lambda a: (str(a.get("name")), str(a.get("id")))):
        base = dns_name(str(app.get("name") or ""))
        candidate, suffix = base, str(app.get("id") or "")[:8].lower()
        n = 1
        while candidate in taken:  # same name after cleaning: the id's start tells them apart
            tail = suffix if n == 1 else f"{suffix}-{n}"
            candidate = f"{base[:MAX_NAME - len(tail) - 1].rstrip('-')}-{tail}"
            n += 1
        taken.add(candidate)
        result[str(app.get("id"))] = candidate
    return result


def dns_name(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:MAX_NAME].strip("-")
    return name or "application"


def manifest(resource_name: str, spec: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
    metadata = {"name": resource_name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND, "metadata": metadata, "spec": spec}


def _list_drift(model: PingOneApplicationSpec, children: dict[str, list[dict[str, Any]]],
                catalogue: lists.Catalogue) -> list[str]:
    """The lists ObserveOnly would report, as the reconciler computes it (lists.py)."""
    drifted = []
    for kind, items in children.items():
        if not lists.declared(model, kind):
            continue
        wanted = lists.wanted(model, kind, catalogue)
        if not isinstance(wanted, list) or lists.changes(kind, wanted, lists.have(kind, items), set(), False):
            drifted.append(lists.SPEC_FIELD[kind])
    return drifted


def _unmodelled_mapping_parts(items: list[dict[str, Any]]) -> list[str]:
    return [f"attributeMappings[{item.get('name')}].{key}: left out, the operator does not model it"
            for item in items if item.get("mappingType", "CUSTOM") == "CUSTOM"
            for key, default in MAPPING_DEFAULTS.items() if item.get(key, default) != default]


def _problems(exc: ValidationError) -> list[tuple[tuple[str, ...], str]]:
    """(the path to leave out, why) per error: a list as a whole (leaving out one entry would
    shorten it), and the object that lacks a required field."""
    result = []
    for error in exc.errors():
        loc = error["loc"]
        first_index = next((n for n, part in enumerate(loc) if isinstance(part, int)), None)
        if first_index is not None:
            path = loc[:first_index]
        elif error["type"] == "missing":
            path = loc[:-1]
        else:
            path = loc
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        why = "the operator does not model it (PingOne keeps its value)" if error["type"] == "extra_forbidden" \
            else f"{where}: {error['msg']}"
        result.append((tuple(str(p) for p in path), why))
    return result


def _pop(doc: dict[str, Any], path: list[str] | tuple[str, ...]) -> bool:
    """Remove the value at path (and the objects it leaves empty); whether there was one."""
    key, rest = path[0], path[1:]
    if not isinstance(doc, dict) or key not in doc:
        return False
    if not rest:
        del doc[key]
        return True
    found = _pop(doc[key], rest)
    if found and doc[key] == {}:
        del doc[key]
    return found


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _reverse(names: dict[str, str]) -> dict[Any, str]:
    return {v: k for k, v in names.items()}
