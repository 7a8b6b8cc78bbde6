"""Issue #13: the largest spec the CRD allows is handled, and a copy of it would fit an annotation
(kopf's copy is in status.kopf; client-side `kubectl apply`'s, and earlier releases' kopf copy, are
annotations).

The spec is tests/unit/test_crd_size.py's largest one (every list full, every string at its
longest in its dearest characters), made acceptable to the API server's CEL rules and to PingOne
with values of the same lengths.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from tests.e2e.helpers import application, condition, wait_for
from tests.unit.test_crd_size import BUDGET, annotation_bytes, largest_spec, spec_schema

pytestmark = pytest.mark.e2e

DIFFBASE = "last-handled-configuration"  # kopf's, in status.kopf
TOO_LONG = re.compile(r"Too long|Unprocessable|Request entity too large")  # the API server refusing kopf's patch


def padded(head: str, length: int, tail: str = "") -> str:
    return head + "a" * (length - len(head) - len(tail)) + tail


def url(host: str, length: int) -> str:
    return padded(f"https://{host}.example.com/", length)


def jwks(length: int) -> str:
    """A JWK Set of exactly `length` characters, padded with backslashes (two bytes each in kopf's JSON)."""
    head, tail = '{"keys":[],"pad":"', '"}'
    pad = length - len(head) - len(tail)
    return head + "\\\\" * (pad // 2) + " " * (pad % 2) + tail


def largest_valid_spec(environment_id: str) -> dict[str, Any]:
    spec, schema = largest_spec(), spec_schema()["properties"]
    uri = schema["redirectUris"]["items"]["maxLength"]
    origin = schema["corsSettings"]["properties"]["origins"]["items"]["maxLength"]
    # tags: WORKER only; jwksUrl: exclusive with jwks; no adoption, and the operator's own connection;
    # roles are for a WORKER, and grants and policies name what must exist in PingOne first.
    for key in ("tags", "jwksUrl", "adoptApplicationId", "connectionRef", "roleAssignments", "grants",
                "signOnPolicies", "exclusive"):
        del spec[key]
    spec["attributeMappings"] = [{**m, "name": f"{m['name'][:-2]}{n:02d}"}  # one entry per name
                                 for n, m in enumerate(spec["attributeMappings"])]
    spec.update(
        type="NATIVE_APP",  # the type that takes mobile and kerberos settings
        tokenEndpointAuthMethod="CLIENT_SECRET_BASIC",  # secretRotation needs a secret
        grantTypes=schema["grantTypes"]["items"]["enum"],
        responseTypes=schema["responseTypes"]["items"]["enum"],
        redirectUris=[url(f"app{i}", uri) for i in range(len(spec["redirectUris"]))],
        postLogoutRedirectUris=[url(f"site{i}", uri) for i in range(len(spec["postLogoutRedirectUris"]))],
        corsSettings={"behavior": "ALLOW_SPECIFIC_ORIGINS",
                      "origins": [padded(f"https://o{i}-", origin, ".example.com")
                                  for i in range(len(spec["corsSettings"]["origins"]))]},
        homePageUrl=url("home", uri), loginPageUrl=url("login", uri), initiateLoginUri=url("initiate", uri),
        targetLinkUri=url("target", uri), deviceCustomVerificationUri=url("device", uri),
        jwks=jwks(schema["jwks"]["maxLength"]),
        environmentId=environment_id, managementPolicy="Manage", deletionPolicy="Delete",
    )
    spec["icon"] = {"id": str(uuid.uuid4()), "href": url("icons", uri)}
    groups = spec["accessControl"]["group"]["groups"]
    spec["accessControl"]["group"]["groups"] = [{"id": str(uuid.uuid4())} for _ in groups]
    spec["signing"]["keyRotationPolicy"]["id"] = str(uuid.uuid4())
    spec["kerberos"]["key"]["id"] = str(uuid.uuid4())
    spec["mobile"]["uriPrefix"] = url("open", uri)
    return spec


def test_the_largest_spec_is_applied_handled_and_its_copy_fits_an_annotation(kube, admin, operator):
    spec = largest_valid_spec(admin.env)
    # Server-side: client-side apply would keep a second copy in its own annotation.
    kube.apply(application("largest", spec), "--server-side")

    def handled() -> dict[str, Any] | None:
        """The resource once the operator set its condition and kopf stored its copy (or failed to)."""
        obj = kube.get("p1app", "largest") or {}
        stored = DIFFBASE in ((obj.get("status") or {}).get("kopf") or {})
        return obj if (condition(obj).get("reason") and stored) or TOO_LONG.search(operator.logs()) else None

    obj = wait_for(handled, timeout=90, what="a Ready condition and kopf's copy")
    refused = TOO_LONG.search(logs := operator.logs())
    assert not refused, f"kopf could not patch the resource: {logs[refused.start() - 300:refused.end() + 300]}"
    assert condition(obj)["status"] == "True", condition(obj)
    app = admin.app(obj["status"]["applicationId"])
    assert app["redirectUris"] == spec["redirectUris"] and app["jwks"] == spec["jwks"]

    copy = obj["status"]["kopf"][DIFFBASE]
    assert json.loads(copy)["spec"] == spec  # kopf's copy: the whole spec
    size = annotation_bytes({**obj["metadata"].get("annotations", {}), f"pingone-operator.dev/{DIFFBASE}": copy})
    assert 150_000 < size < BUDGET, size  # near the largest, and within the budget
