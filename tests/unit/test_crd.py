import json
from pathlib import Path

import yaml

import pytest

from pingone_operator.api.crd import connection_crd, crd, crd_files, peering_crd, render_crds_yaml, resource_crd
from pingone_operator.api import ApplicationSettings

ROOT = Path(__file__).parents[2]


def walk(node, path="$"):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}[{i}]")


@pytest.mark.parametrize("folder", ["crds", "helm/pingone-operator/crds"])
def test_committed_crds_are_not_stale(folder):
    committed = {p.name: p.read_text() for p in (ROOT / folder).glob("*.yaml")}
    assert committed == crd_files(), f"{folder}/ is stale: run `make crds`"
    assert "".join(committed[name] for name in sorted(committed)) == render_crds_yaml()


def test_connection_crd_is_cluster_scoped_and_structural():
    c = connection_crd()
    assert c["spec"]["scope"] == "Cluster" and c["spec"]["names"]["kind"] == "PingOneConnection"
    for path, node in walk(c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]):
        if isinstance(node, dict) and path.split(".")[-1] != "properties":
            assert "$ref" not in node and "anyOf" not in node, path


def test_schema_is_structural():
    schema = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for path, node in walk(schema):
        if isinstance(node, dict) and path.split(".")[-1] not in ("properties",):
            assert "$ref" not in node and "anyOf" not in node and "default" not in node, path
            if "enum" in node or "properties" in node or "items" in node:
                assert "type" in node, f"untyped node at {path}"


def test_every_pingone_field_has_a_description():
    spec = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    for name in ApplicationSettings.model_fields:
        assert spec["properties"][name].get("description"), name


def test_names_and_columns():
    c = crd()
    assert c["metadata"]["name"] == "pingoneapplications.pingone-operator.dev"
    names = c["spec"]["names"]
    assert names["shortNames"] == ["p1app"] and names["categories"] == ["pingone"]
    columns = [col["name"] for col in c["spec"]["versions"][0]["additionalPrinterColumns"] if not col.get("priority")]
    assert columns == ["Ready", "Client-ID", "Environment", "Age"]
    assert c["spec"]["versions"][0]["subresources"] == {"status": {}}


def test_yaml_round_trips():
    documents = [peering_crd(), crd(), connection_crd(), resource_crd()]  # by file name
    assert list(yaml.safe_load_all(render_crds_yaml())) == json.loads(json.dumps(documents))


def test_peering_crd_is_kopfs():
    """What kopf watches and patches for a standby replica: kopf.dev/v1 ClusterKopfPeering, status kept."""
    c = peering_crd()
    assert c["metadata"]["name"] == "clusterkopfpeerings.kopf.dev"
    assert (c["spec"]["group"], c["spec"]["scope"], c["spec"]["names"]["kind"]) == ("kopf.dev", "Cluster",
                                                                                    "ClusterKopfPeering")
    (version,) = c["spec"]["versions"]
    assert version["name"] == "v1" and "subresources" not in version  # kopf patches status with the object
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]
    assert status["x-kubernetes-preserve-unknown-fields"] is True
