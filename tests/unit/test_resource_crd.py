"""The PingOneResource CRD: names and columns, a structural schema, and PingOne's own fields with
PingOne's names, types and bounds (OpenAPI `Resource` and `ResourceScope`)."""

from pingone_operator.api.crd import crd, resource_crd
from pingone_operator.api.resource import OPERATOR_FIELDS, ResourceSettings, Scope
from tests.contract import openapi

SCHEMA = resource_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
SPEC = SCHEMA["properties"]["spec"]


def walk(node, path="$"):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}[{i}]")


def test_names_and_columns_like_the_applications():
    c = resource_crd()
    assert c["metadata"]["name"] == "pingoneresources.pingone-operator.dev" and c["spec"]["scope"] == "Namespaced"
    names = c["spec"]["names"]
    assert names["kind"] == "PingOneResource" and names["shortNames"] == ["p1res"]
    assert names["categories"] == crd()["spec"]["names"]["categories"]
    version = c["spec"]["versions"][0]
    assert [col["name"] for col in version["additionalPrinterColumns"] if not col.get("priority")] == \
        ["Ready", "Resource-ID", "Environment", "Age"]
    assert version["subresources"] == {"status": {}}


def test_schema_is_structural_and_documented():
    for path, node in walk(SCHEMA):
        if isinstance(node, dict) and path.split(".")[-1] != "properties":
            assert "$ref" not in node and "anyOf" not in node and "default" not in node, path
    for name in [*ResourceSettings.model_fields, *OPERATOR_FIELDS, "scopes"]:
        assert SPEC["properties"][name].get("description"), name
    status = SCHEMA["properties"]["status"]["properties"]
    assert {"resourceId", "updatedAt", "environmentId", "observedGeneration", "conditions", "managedFields",
            "managedScopes"} <= set(status)


def test_connection_ref_cannot_move_an_existing_resource():
    rules = [r["rule"] for r in SCHEMA["x-kubernetes-validations"]]
    assert any("oldSelf.status.resourceId" in r and "connectionRef" in r for r in rules)


def test_pingone_fields_have_pingones_names_types_and_bounds():
    oas = openapi()["components"]["schemas"]
    resource, scope = oas["Resource"]["properties"], oas["ResourceScope"]["properties"]
    for fields, theirs in ((ResourceSettings.model_fields, resource), (Scope.model_fields, scope)):
        ours = SPEC["properties"] if theirs is resource else SPEC["properties"]["scopes"]["items"]["properties"]
        for name in fields:
            assert name in theirs and not theirs[name].get("readOnly"), name
            assert ours[name]["type"] == theirs[name]["type"], name
    validity = SPEC["properties"]["accessTokenValiditySeconds"]
    described = resource["accessTokenValiditySeconds"]["description"]
    assert (validity["minimum"], validity["maximum"]) == (300, 2592000)
    assert "300" in described and "2592000" in described  # PingOne states its bounds in prose

