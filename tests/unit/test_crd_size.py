"""The largest spec the CRD allows fits kopf's annotation (issue #13).

kopf keeps the last handled configuration of every object in an annotation (handlers.configure),
as JSON that escapes every non-ASCII character, and Kubernetes allows 256 KiB for all annotations
of an object together. If the API server accepts a spec whose copy does not fit, kopf's patches
fail forever. So the largest valid spec is built here from the generated CRD schema itself (every
list at maxItems, every string at its longest in the dearest character its pattern allows, every
optional field present) and kopf's annotation for it is measured the way kopf writes it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import kopf
import pytest

from pingone_operator import GROUP, KIND, VERSION
from pingone_operator.api.crd import crd, resource_crd
from pingone_operator.api import PingOneApplicationSpec
from pingone_operator.api.resource import PingOneResourceSpec

ANNOTATIONS_LIMIT = 262144  # Kubernetes: all annotations of an object, keys and values together
# kopf's copy may take this much; the rest is for kopf's other annotations and the user's own
# (which kopf's copy repeats).
BUDGET = 220_000
# Maps (keys the user chooses): the longest key their CEL rule allows, and that rule's pattern.
MAP_KEYS = {
    "spec.secretTemplate.data": "a" * 100,
    "spec.secretTemplate.labels": "a" * 253 + "/" + "a" * 63,
    "spec.secretTemplate.annotations": "a" * 253 + "/" + "a" * 63,
}
KEY_RULES = {
    "spec.secretTemplate.data": "[-._a-zA-Z0-9]{1,100}",
    "spec.secretTemplate.labels": "[a-z0-9.-]{1,253}/)?[A-Za-z0-9._-]{1,63}",
    "spec.secretTemplate.annotations": "[a-z0-9.-]{1,253}/)?[A-Za-z0-9._-]{1,63}",
}
# One character of each JSON escaping cost, dearest first (kopf's json.dumps escapes non-ASCII).
CHARACTERS = ["\U0001f600", "\u00e9", "\x00", '"', "\\", "\n", "a", "0", "A"]


def cost(value: Any) -> int:
    """Bytes of a value in kopf's JSON."""
    return len(json.dumps(value, separators=(",", ":")).encode())


def spec_schema() -> dict[str, Any]:
    return crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]


def longest(node: dict[str, Any]) -> int | None:
    """The most characters a string schema allows: maxLength, or what a pattern anchored at both ends matches."""
    limits = [node["maxLength"]] if "maxLength" in node else []
    pattern = node.get("pattern", "")
    if pattern.startswith("^") and pattern.endswith("$"):
        width = re._parser.parse(pattern).getwidth()[1]  # the stdlib's own regex parser
        if width < re._constants.MAXREPEAT:
            limits.append(width)
    return min(limits, default=None)


def largest_string(node: dict[str, Any], path: str) -> str:
    length, pattern = longest(node), node.get("pattern", "")
    assert length is not None, f"{path} has no maximum length"
    literal = re.match(r"\^([\w:/]*)", pattern)  # e.g. the https:// an https URL starts with
    prefix = literal[1] if literal else ""
    for char in CHARACTERS:
        value = prefix + char * (length - len(prefix))
        if re.search(pattern, value):
            return value
    raise AssertionError(f"{path}: no string of {length} characters matches {pattern!r}; teach this test")


def largest(node: dict[str, Any], path: str = "spec") -> Any:
    """The value of this schema that takes the most bytes in kopf's JSON."""
    if "enum" in node:
        return max(node["enum"], key=cost)
    kind = node.get("type")
    if kind == "object" and "additionalProperties" in node:
        key = MAP_KEYS[path]  # the longest key the map's own CEL rule allows
        assert any(KEY_RULES[path] in rule["rule"] for rule in node.get("x-kubernetes-validations", [])), path
        value = largest(node["additionalProperties"], f"{path}[]")
        return {f"{key[:-2]}{n:02d}": value for n in range(node["maxProperties"])}
    if kind == "object":
        return {name: largest(child, f"{path}.{name}") for name, child in node["properties"].items()}
    if kind == "array":
        return [largest(node["items"], f"{path}[]")] * node["maxItems"]
    if kind == "string":
        return largest_string(node, path)
    if kind == "integer":
        return max(node.get("minimum", -(2**63)), node.get("maximum", 2**63 - 1), key=cost)
    if kind == "boolean":
        return False  # "false" is one byte longer than "true"
    raise AssertionError(f"{path}: no largest value for {node}")


def largest_spec() -> dict[str, Any]:
    return largest(spec_schema())


def kopf_annotations(spec: dict[str, Any]) -> dict[str, str]:
    """The annotations kopf writes for an object with this spec, its storage set up as in handlers.configure."""
    storage = kopf.AnnotationsDiffBaseStorage(prefix=GROUP, key="last-handled-configuration", v1=False)
    body = kopf.Body({"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND, "metadata": {"name": "largest"},
                      "spec": spec})
    patch = kopf.Patch()
    storage.store(body=body, patch=patch, essence=storage.build(body=body))
    return dict(patch["metadata"]["annotations"])


def annotation_bytes(annotations: dict[str, str]) -> int:
    return sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())


def test_the_largest_spec_is_valid():
    spec = largest_spec()
    PingOneApplicationSpec.model_validate(spec)
    assert len(spec["redirectUris"]) == spec_schema()["properties"]["redirectUris"]["maxItems"]
    assert "mobile" in spec and "googlePlay" in spec["mobile"]["integrityDetection"]


def test_the_largest_spec_fits_kopfs_annotation_with_room_to_spare():
    size = annotation_bytes(kopf_annotations(largest_spec()))
    assert size < BUDGET < ANNOTATIONS_LIMIT, (
        f"the largest valid spec takes {size} bytes of annotations in kopf's copy (budget {BUDGET}): "
        "tighten a bound in models.py rather than raise the budget"
    )


@pytest.mark.parametrize(("node", "expected"), [
    ({"type": "string", "maxLength": 3}, "\U0001f600" * 3),  # free text: 12 bytes a character
    ({"type": "string", "maxLength": 3, "pattern": r"^[\t\n\r\x20-\x7e]*$"}, '"""'),
    ({"type": "string", "maxLength": 12, "pattern": r"^https://[\x21\x23-\x5b\x5d-\x7e]+$"}, "https://aaaa"),
    ({"type": "string", "pattern": r"^[0-9a-fA-F-]{36}$"}, "a" * 36),
    ({"type": "array", "maxItems": 2, "items": {"type": "string", "enum": ["A", "BBB"]}}, ["BBB", "BBB"]),
    ({"type": "integer", "minimum": -5, "maximum": 60}, -5),
    ({"type": "integer"}, -(2**63)),
])
def test_largest_takes_the_dearest_value_a_schema_allows(node, expected):
    assert largest(node) == expected


def unbounded(node: dict[str, Any], path: str = "spec") -> list[str]:
    """Paths of strings, lists and objects in a schema that have no upper bound."""
    found = []
    kind = node.get("type")
    if node.get("x-kubernetes-preserve-unknown-fields"):
        found.append(f"{path}: keeps unknown fields")
    if "additionalProperties" in node:
        if "maxProperties" not in node or path not in MAP_KEYS:
            found.append(f"{path}: a map without maxProperties and a key rule")
        found += unbounded(node["additionalProperties"], f"{path}[]")
    if kind == "string" and "enum" not in node and longest(node) is None:
        found.append(f"{path}: no maxLength")
    if kind == "array":
        if "maxItems" not in node:
            found.append(f"{path}: no maxItems")
        found += unbounded(node["items"], f"{path}[]")
    if kind == "object" and "properties" not in node and "additionalProperties" not in node:
        found.append(f"{path}: an object without properties")
    for name, child in node.get("properties", {}).items():
        found += unbounded(child, f"{path}.{name}")
    return found


def test_no_string_list_or_object_in_the_spec_is_unbounded():
    assert unbounded(spec_schema()) == []
    assert unbounded({"type": "object", "properties": {"a": {"type": "string", "pattern": "^https://"}}}) == [
        "spec.a: no maxLength"
    ]


def test_the_largest_pingoneresource_is_bounded_valid_and_fits_kopfs_annotation():
    schema = resource_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert unbounded(schema) == []
    spec = largest(schema)
    PingOneResourceSpec.model_validate(spec)
    assert len(spec["scopes"]) == schema["properties"]["scopes"]["maxItems"]
    size = annotation_bytes(kopf_annotations(spec))
    assert size < BUDGET, f"the largest PingOneResource takes {size} bytes of annotations in kopf's copy"
