"""examples/: every file is a ready-to-apply PingOneApplication (after the PingOneResources it is
granted, if any) that the operator makes Ready.

Each example is applied as it is (into the test's namespace) with the operator running against
the PingOne simulator; it must become Ready with a clientId, PingOne must hold what the spec says,
and the Secret must carry `client-secret` exactly for the auth methods that have a secret.
The ObserveOnly adoption example gets the id of an application created for it first.
"""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pingone_operator.api import OPERATOR_FIELDS
from tests.e2e.helpers import ROOT, condition, ready, wait_for
from tests.e2e.helpers import create_app

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SECRET_METHODS = {"CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "CLIENT_SECRET_JWT"}
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
ENVIRONMENT_PLACEHOLDER = "ENVIRONMENT_ID"  # examples that name the environment say so


def documents(text: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(text))


def load(path: Path) -> dict[str, Any]:
    """The example's PingOneApplication."""
    return next(d for d in documents(path.read_text()) if d["kind"] == "PingOneApplication")


# ----------------------------------------------------------------------------------------------
# Static checks (no cluster)
# ----------------------------------------------------------------------------------------------

def test_examples_cover_every_application_type_and_auth_method() -> None:
    specs = [load(p)["spec"] for p in EXAMPLES]
    assert {s["type"] for s in specs} == {"WEB_APP", "NATIVE_APP", "SINGLE_PAGE_APP", "WORKER", "SERVICE", "CUSTOM_APP"}
    assert {s["tokenEndpointAuthMethod"] for s in specs} == {
        "NONE", "CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "CLIENT_SECRET_JWT", "PRIVATE_KEY_JWT"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_is_one_commented_application_without_a_namespace(path: Path) -> None:
    text = path.read_text()
    assert text.startswith("# "), "each example starts with a comment saying what it shows"
    docs = documents(text)
    # One application, after the PingOneResources it is granted (an API and its client in one file).
    assert [d["kind"] for d in docs] == ["PingOneResource"] * (len(docs) - 1) + ["PingOneApplication"]
    for obj in docs:
        assert obj["apiVersion"] == "pingone-operator.dev/v1alpha1"
        assert "namespace" not in obj["metadata"], "examples are applied with -n"
        assert "status" not in obj


def test_examples_have_distinct_names() -> None:
    objs = [load(p) for p in EXAMPLES]
    assert len({o["metadata"]["name"] for o in objs}) == len(objs)
    assert len({o["spec"]["name"] for o in objs}) == len(objs)  # PingOne names are unique per environment


def test_private_key_jwt_example_has_a_valid_rsa_public_jwks() -> None:
    spec = load(ROOT / "examples/web-app-private-key-jwt.yaml")["spec"]
    keys = json.loads(spec["jwks"])["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert key["kty"] == "RSA" and key["use"] == "sig" and key["alg"] == "RS256" and key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), "a public key set only"
    n = int.from_bytes(base64.urlsafe_b64decode(key["n"] + "=" * (-len(key["n"]) % 4)), "big")
    assert n.bit_length() == 2048 and n % 2 == 1
    assert key["e"] == "AQAB"


# ----------------------------------------------------------------------------------------------
# Applied to a real API server with the operator running
# ----------------------------------------------------------------------------------------------

@pytest.mark.e2e
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_becomes_ready(path: Path, simulator, control_plane, kube, admin, start_operator) -> None:
    start_operator(DEFAULT_CONNECTION_ALLOWED_ROLES="Identity Data Read Only")  # the worker example's role
    text = path.read_text().replace(ENVIRONMENT_PLACEHOLDER, admin.env)
    obj = next(d for d in documents(text) if d["kind"] == "PingOneApplication")
    apis = [d["metadata"]["name"] for d in documents(text) if d["kind"] == "PingOneResource"]
    name, spec = obj["metadata"]["name"], obj["spec"]
    if spec.get("adoptApplicationId") == PLACEHOLDER_ID:
        pingone_fields = {k: v for k, v in spec.items() if k not in OPERATOR_FIELDS}
        existing = asyncio.run(create_app(simulator, pingone_fields))
        text = text.replace(PLACEHOLDER_ID, existing["id"])
        spec = {**spec, "adoptApplicationId": existing["id"]}
    if apis:
        control_plane.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                              "crd/pingoneresources.pingone-operator.dev")
    # Applied as a file, as a user would: kubectl apply -n <ns> -f examples/<file>
    control_plane.kubectl("apply", "-n", kube.ns, "-f", "-", input=text)

    for api in apis:
        wait_for(lambda: condition(kube.get("p1res", api)).get("status") == "True", what=f"{api} Ready")
    # A grant of a resource created at the same time may wait for the next try (UnknownReference).
    live = wait_for(lambda: ready(kube, name), timeout=90 if apis else 60, what=f"{path.name} Ready")
    status = live["status"]
    assert status["clientId"]
    assert condition(live, "Synced")["status"] == "True", condition(live, "Synced")
    assert live["spec"] == spec  # nothing written back into the spec

    app = admin.app(status["applicationId"])
    assert app is not None
    for key, value in spec.items():
        if key in OPERATOR_FIELDS:
            continue
        if key in ("grantTypes", "responseTypes"):
            assert sorted(app[key]) == sorted(value), key
        else:
            assert app[key] == value, key

    secret = kube.get("secret", f"{name}-oidc")
    assert secret is not None
    keys = set(secret["data"])
    assert {"client-id", "issuer", "token-endpoint", "token-endpoint-auth-method", "environment-id"} <= keys
    assert ("client-secret" in keys) == (spec["tokenEndpointAuthMethod"] in SECRET_METHODS), keys
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data["client-id"] == status["clientId"]
    assert data["token-endpoint-auth-method"] == spec["tokenEndpointAuthMethod"]
    if "client-secret" in data:
        assert data["client-secret"] == admin.secret(app["id"])["secret"]
    if spec.get("managementPolicy") == "ObserveOnly":
        assert [w for w in admin.writes() if w["method"] != "POST"] == []  # only our own setup POST
