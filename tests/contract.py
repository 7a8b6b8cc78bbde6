"""Validate JSON against the schemas in PingOne's OpenAPI description (management.yaml).

The YAML is ~2 MB, so it is parsed once per process. OpenAPI 3.0 schemas are close enough to
JSON Schema draft 7 to validate with `jsonschema` after two conversions:
- `nullable: true` becomes a `"null"` member of `type` (the file has none today; kept for updates);
- YAML timestamps in `example`/`default` are left as strings (a loader without the timestamp resolver).

`oneOf` is kept as written by default. The application response wrappers
(`readOneApplication_200_response`, `createApplication_201_response`, and the items of the
`EntityArray` list) can never match exactly one member, because `ApplicationPingOneAdminConsole`
has no required properties. Validate application bodies against `ApplicationOIDC` (optionally
`closed=True`), and pass `one_of_as_any_of=True` for schemas that embed those wrappers.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPO_ROOT = Path(__file__).resolve().parent.parent
OPENAPI_PATH = REPO_ROOT.parent / "shared" / "reference" / "pingone-openapi" / "management.yaml"
BASE_URI = "urn:pingone:management"
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class _NoDatesLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    pass


_NoDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in _NoDatesLoader.yaml_implicit_resolvers.items()
}


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: fold `nullable` into `type`."""
    if isinstance(node, dict):
        out = {k: _convert(v) for k, v in node.items()}
        if out.pop("nullable", False) is True and "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_convert(v) for v in node]
    return node


@functools.lru_cache(maxsize=1)
def openapi() -> dict[str, Any]:
    with OPENAPI_PATH.open("rb") as handle:
        return _convert(yaml.load(handle, Loader=_NoDatesLoader))


@functools.lru_cache(maxsize=1)
def _registry() -> Registry:
    return Registry().with_resource(BASE_URI, Resource.from_contents(openapi(), default_specification=DRAFT7))


_FORMATS = jsonschema.FormatChecker(formats=())


def _any_of(validator, subschemas, instance, schema):
    errors = []
    for subschema in subschemas:
        found = list(validator.descend(instance, subschema))
        if not found:
            return
        errors.extend(found)
    yield jsonschema.ValidationError("is not valid under any of the oneOf schemas", context=errors)


_LenientValidator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"oneOf": _any_of})


@_FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(_DATE_TIME.match(value))


def _pointer(schema_name_or_pointer: str) -> str:
    if schema_name_or_pointer.startswith("#/"):
        return schema_name_or_pointer
    return f"#/components/schemas/{schema_name_or_pointer}"


def _resolve(pointer: str) -> Any:
    return _registry().resolver(BASE_URI).lookup(pointer).contents


def property_names(schema_name_or_pointer: str) -> set[str]:
    """All property names a schema declares, following `$ref` and `allOf`."""
    names: set[str] = set()
    stack = [_resolve(_pointer(schema_name_or_pointer))]
    while stack:
        node = stack.pop()
        if "$ref" in node:
            stack.append(_resolve(node["$ref"]))
            continue
        names |= set(node.get("properties", {}))
        stack.extend(node.get("allOf", []))
    return names


def validate_against(schema_name_or_pointer: str, instance: Any, *, closed: bool = False,
                     one_of_as_any_of: bool = False) -> None:
    """Raise `jsonschema.ValidationError` unless `instance` matches the schema.

    `schema_name_or_pointer` is a component name ("ApplicationOIDC") or a JSON pointer into the
    document ("#/paths/~1environments~1{environmentID}~1applications/post/requestBody/content/
    application~1json/schema"). `closed=True` also rejects top-level properties the schema does
    not declare (the spec itself never sets additionalProperties: false). `one_of_as_any_of=True`
    accepts a `oneOf` when at least one member matches (see the module docstring).
    """
    pointer = _pointer(schema_name_or_pointer)
    schema: dict[str, Any] = {"$ref": f"{BASE_URI}{pointer}"}
    if closed:
        schema = {"allOf": [schema], "properties": {name: True for name in property_names(pointer)},
                  "additionalProperties": False}
    cls = _LenientValidator if one_of_as_any_of else jsonschema.Draft7Validator
    validator = cls(schema, registry=_registry(), format_checker=_FORMATS)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def errors_against(schema_name_or_pointer: str, instance: Any, **options: bool) -> list[str]:
    """Like validate_against, but return readable messages instead of raising."""
    try:
        validate_against(schema_name_or_pointer, instance, **options)
    except jsonschema.ValidationError as exc:
        return [f"{'/'.join(map(str, exc.absolute_path)) or '<root>'}: {exc.message}"]
    return []
