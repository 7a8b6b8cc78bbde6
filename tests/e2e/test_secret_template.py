"""Consumer-shaped Secrets: spec.secretTemplate renames keys, adds constants, labels and annotations;
a template naming an unknown variable is refused at apply time."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import SEED, application, ready, secret_data, wait_for

pytestmark = pytest.mark.e2e

OAUTH2_PROXY = {
    "data": {
        "OAUTH2_PROXY_CLIENT_ID": "{{clientId}}",
        "OAUTH2_PROXY_CLIENT_SECRET": "{{clientSecret}}",
        "OAUTH2_PROXY_OIDC_ISSUER_URL": "{{issuer}}",
        "OAUTH2_PROXY_PROVIDER": "oidc",
        "OAUTH2_PROXY_SCOPE": "openid {{environmentId}}",
    },
    "labels": {"app": "oauth2-proxy"},
    "annotations": {"reloader.example.com/match": "true"},
}


def test_a_template_shapes_the_secret_for_its_consumer(kube, admin, operator):
    kube.apply(application("proxied", secretTemplate=OAUTH2_PROXY))
    obj = wait_for(lambda: ready(kube, "proxied"), what="Ready")
    app_id = obj["status"]["applicationId"]
    data = secret_data(kube, "proxied-oidc")
    assert data == {
        "OAUTH2_PROXY_CLIENT_ID": app_id,
        "OAUTH2_PROXY_CLIENT_SECRET": admin.secret(app_id)["secret"],
        "OAUTH2_PROXY_OIDC_ISSUER_URL": data["OAUTH2_PROXY_OIDC_ISSUER_URL"],
        "OAUTH2_PROXY_PROVIDER": "oidc",
        "OAUTH2_PROXY_SCOPE": f"openid {admin.env}",
    }
    assert data["OAUTH2_PROXY_OIDC_ISSUER_URL"].endswith(f"/{admin.env}/as")
    meta = kube.get("secret", "proxied-oidc")["metadata"]
    assert meta["labels"]["app"] == "oauth2-proxy"
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "pingone-operator"  # ours stay
    assert meta["annotations"]["reloader.example.com/match"] == "true"

    # Renaming a key rewrites the Secret: the old key goes.
    renamed = {**OAUTH2_PROXY, "data": {**OAUTH2_PROXY["data"], "CLIENT_ID": "{{clientId}}"}}
    del renamed["data"]["OAUTH2_PROXY_CLIENT_ID"]
    kube.apply(application("proxied", secretTemplate=renamed))
    wait_for(lambda: "CLIENT_ID" in (d := secret_data(kube, "proxied-oidc")) and "OAUTH2_PROXY_CLIENT_ID" not in d,
             what="the renamed key")


def test_the_default_secret_has_the_discovery_url(kube, admin, operator):
    kube.apply(application("plain"))
    wait_for(lambda: ready(kube, "plain"), what="Ready")
    data = secret_data(kube, "plain-oidc")
    assert data["discovery-url"] == data["issuer"] + "/.well-known/openid-configuration"
    assert {"client-id", "client-secret", "issuer", "token-endpoint", "token-endpoint-auth-method",
            "environment-id"} <= set(data)


@pytest.mark.parametrize("template, message", [
    ({"data": {"SECRET": "{{clientSecrt}}"}}, "names an unknown {{variable}}"),
    ({"data": {"SECRET": "{clientSecret}"}}, "names an unknown {{variable}}"),
    ({"data": {"bad key!": "x"}}, "keys are Secret keys"),
    ({"labels": {"app.kubernetes.io/managed-by": "me"}}, "cannot set the operator's own labels"),
])
def test_a_template_naming_an_unknown_variable_is_refused_at_apply(kube, template, message):
    result = kube.apply(application("refused", SEED, secretTemplate=template), check=False)
    assert result.returncode != 0 and message in result.stderr, result.stderr
