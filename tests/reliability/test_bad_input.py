"""Issue 8.4: a matrix of invalid PingOneApplications.

Each one is either refused by the API server at `kubectl apply` (schema, CEL) with a message that
names the field, or accepted and reported as Ready=False with a specific reason. None crashes the
operator, none keeps a good resource next to it from becoming Ready, none is retried in a hot loop
(PingOne requests are counted over a quiet window). The simulator runs with --strict, so the rules
only PingOne can check are exercised too.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.helpers import wait_for
from tests.reliability.support import (
    RequestStats,
    leak_scan,
    ready_condition,
    resource,
    spec_for,
    wait_all_ready,
)

pytestmark = pytest.mark.e2e

QUIET_WINDOW = 10.0  # seconds over which PingOne requests are counted once everything has settled


def _without(spec, *keys):
    return {k: v for k, v in spec.items() if k not in keys}


def _base(name):
    return spec_for(f"Bad-{name}")


# name -> (spec, substrings the API server's refusal must contain: the field, or the rule's words)
REFUSED: dict[str, tuple[dict, list[str]]] = {
    "enabled-string": ({**_base("a"), "enabled": "yes"}, ["spec.enabled"]),
    "partimeout-string": ({**_base("b"), "parTimeout": "sixty"}, ["spec.parTimeout"]),
    "granttypes-scalar": ({**_base("c"), "grantTypes": "AUTHORIZATION_CODE"}, ["spec.grantTypes"]),
    "redirects-object": ({**_base("d"), "redirectUris": {"a": "https://x.example.com"}}, ["spec.redirectUris"]),
    "type-unknown": ({**_base("e"), "type": "MOBILE_APP"}, ["spec.type", "MOBILE_APP"]),
    "authmethod-unknown": ({**_base("f"), "tokenEndpointAuthMethod": "CLIENT_SECRET_MAGIC"},
                           ["spec.tokenEndpointAuthMethod"]),
    "grant-unknown": ({**_base("g"), "grantTypes": ["PASSWORD"]}, ["spec.grantTypes[0]"]),
    "response-unknown": ({**_base("h"), "responseTypes": ["CODE_TOKEN"]}, ["spec.responseTypes[0]"]),
    "pkce-unknown": ({**_base("i"), "pkceEnforcement": "MAYBE"}, ["spec.pkceEnforcement"]),
    "protocol-saml": ({**_base("j"), "protocol": "SAML"}, ["spec.protocol"]),
    "deletionpolicy-unknown": ({**_base("k"), "deletionPolicy": "Keep"}, ["spec.deletionPolicy"]),
    "managementpolicy-unknown": ({**_base("l"), "managementPolicy": "ReadOnly"}, ["spec.managementPolicy"]),
    "partimeout-zero": ({**_base("m"), "parTimeout": 0}, ["spec.parTimeout"]),
    "partimeout-601": ({**_base("n"), "parTimeout": 601}, ["spec.parTimeout"]),
    "polling-61": ({**_base("o"), "devicePollingInterval": 61}, ["spec.devicePollingInterval"]),
    "devicetimeout-zero": ({**_base("p"), "deviceTimeout": 0}, ["spec.deviceTimeout"]),
    "refresh-59": ({**_base("q"), "refreshTokenDuration": 59}, ["spec.refreshTokenDuration"]),
    "grace-too-long": ({**_base("r"), "refreshTokenRollingGracePeriodDuration": 86401},
                       ["spec.refreshTokenRollingGracePeriodDuration"]),
    "refresh-order": ({**_base("s"), "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
                       "refreshTokenDuration": 3000, "refreshTokenRollingDuration": 2000},
                      ["refreshTokenDuration must not exceed refreshTokenRollingDuration"]),
    "jwksurl-http": ({**_base("t"), "tokenEndpointAuthMethod": "PRIVATE_KEY_JWT",
                      "jwksUrl": "http://keys.example.com/jwks"}, ["spec.jwksUrl"]),
    "environment-not-uuid": ({**_base("u"), "environmentId": "not-a-uuid"}, ["spec.environmentId"]),
    "adopt-not-uuid": ({**_base("v"), "adoptApplicationId": "xyz"}, ["spec.adoptApplicationId"]),
    "secretname-invalid": ({**_base("w"), "secretName": "Bad_Name"}, ["spec.secretName"]),
    "wildcard-without-flag": ({**_base("x"), "redirectUris": ["https://*.example.com/cb"]},
                              ["Wildcards are not allowed in redirectUris"]),
    "http-redirect-not-localhost": ({**_base("y"), "redirectUris": ["http://app.example.com/cb"]},
                                    ["redirectUris must use https"]),
    "private-key-jwt-without-keys": ({**_base("z"), "tokenEndpointAuthMethod": "PRIVATE_KEY_JWT"},
                                     ["PRIVATE_KEY_JWT needs exactly one of jwks or jwksUrl"]),
    "jwks-and-jwksurl": ({**_base("aa"), "tokenEndpointAuthMethod": "PRIVATE_KEY_JWT", "jwks": '{"keys": []}',
                          "jwksUrl": "https://keys.example.com/jwks"}, ["jwksUrl"]),
    "signed-and-unsigned": ({**_base("ab"), "requireSignedRequestObject": True,
                             "supportUnsignedRequestObject": True},
                            ["requireSignedRequestObject and supportUnsignedRequestObject"]),
    "none-with-client-credentials": ({**_base("ac"), "type": "WORKER", "grantTypes": ["CLIENT_CREDENTIALS"],
                                      "tokenEndpointAuthMethod": "NONE"}, ["CLIENT_CREDENTIALS"]),
    "name-empty": ({**_base("ad"), "name": ""}, ["spec.name"]),
    "name-missing": (_without(_base("ae"), "name"), ["spec.name"]),
    "granttypes-empty": ({**_base("af"), "grantTypes": []}, ["spec.grantTypes"]),
    "redirect-empty-string": ({**_base("ag"), "redirectUris": [""]}, ["spec.redirectUris[0]"]),
    "homepage-too-long": ({**_base("ah"), "homePageUrl": "https://x.example.com/" + "a" * 2100},
                          ["spec.homePageUrl"]),
    "description-too-long": ({**_base("ai"), "description": "d" * 1025}, ["spec.description"]),
    "tag-unknown": ({**_base("aj"), "tags": ["OTHER"]}, ["spec.tags[0]"]),
    "devicepath-invalid": ({**_base("ak"), "devicePathId": "has space"}, ["spec.devicePathId"]),
    "cors-specific-without-origins": ({**_base("al"), "corsSettings": {"behavior": "ALLOW_SPECIFIC_ORIGINS"}},
                                      ["corsSettings.origins must be set"]),
    "unknown-field": ({**_base("am"), "colour": "blue"}, ['unknown field "spec.colour"']),
    "unknown-nested-field": ({**_base("an"), "corsSettings": {"behavior": "ALLOW_NO_ORIGINS", "mode": "x"}},
                             ['unknown field "spec.corsSettings.mode"']),
    "too-many-redirects": ({**_base("ao"), "redirectUris": [f"https://x.example.com/{i}" for i in range(101)]},
                           ["spec.redirectUris"]),
    "redirect-with-space": ({**_base("ap"), "redirectUris": ["https://x.example.com/a b"]}, ["spec.redirectUris"]),
    "http-redirect-lookalike-host": ({**_base("aq"), "redirectUris": ["http://localhost.example.com/cb"]},
                                     ["http is allowed only for the hosts localhost"]),
}

FOREIGN_SECRET = "someone-elses"
OTHER_ENV = str(uuid.uuid4())
GOOD_NAME = "Good-App"

# name -> (spec, expected Ready=False reason, substring of the condition message)
LANDED: dict[str, tuple[dict, str, str]] = {
    "redirect-not-a-url": ({**_base("l1"), "redirectUris": ["not-a-url"]}, "InvalidSpec", "redirectUris"),
    "cors-origin-with-path": ({**_base("l2"), "corsSettings": {"behavior": "ALLOW_SPECIFIC_ORIGINS",
                                                               "origins": ["https://a.example.com/path"]}},
                              "InvalidSpec", "corsSettings.origins"),
    "post-logout-no-scheme": ({**_base("l3"), "postLogoutRedirectUris": ["no-scheme-here"]}, "InvalidSpec",
                              "postLogoutRedirectUris"),
    "spa-with-secret": ({**_base("l4"), "type": "SINGLE_PAGE_APP"}, "InvalidSpec", "tokenEndpointAuthMethod"),
    "tags-on-web-app": ({**_base("l5"), "tags": ["PING_FED_CONNECTION_INTEGRATION"]}, "InvalidSpec", "tags"),
    "mobile-on-web-app": ({**_base("l6"), "mobile": {"bundleId": "org.example.app"}}, "InvalidSpec", "mobile"),
    "code-grant-without-code": (_without(_base("l7"), "responseTypes"), "InvalidSpec", "responseTypes"),
    "jwks-not-a-jwks": ({**_base("l8"), "tokenEndpointAuthMethod": "PRIVATE_KEY_JWT", "jwks": "not json"},
                        "InvalidSpec", "jwks"),
    "duplicate-name-same-namespace": (spec_for(GOOD_NAME), "NameConflict", GOOD_NAME),
    "secret-name-taken": ({**_base("l10"), "secretName": FOREIGN_SECRET}, "SecretConflict", FOREIGN_SECRET),
    "adopt-missing-application": ({**_base("l11"), "adoptApplicationId": str(uuid.uuid4())}, "AdoptionFailed",
                                  "to adopt"),
    # The default connection allows its own environment only: refused before PingOne is asked.
    "unknown-environment": ({**_base("l12"), "environmentId": OTHER_ENV}, "ConnectionDenied", OTHER_ENV),
    "observe-only-missing": ({**_base("l13"), "managementPolicy": "ObserveOnly"}, "NotFound", "Bad-l13"),
}
# In the second namespace: the good resource's PingOne name again.
CROSS_NAMESPACE = ("duplicate-name-other-namespace", spec_for(GOOD_NAME), "NameConflict", GOOD_NAME)


def test_bad_input_matrix(control_plane, simulator_factory, cluster, namespace, api_client, run_operator,
                          sim_admin_factory):
    from kubernetes import client as k8s

    sim = simulator_factory(extra_args=["--strict"])
    admin = sim_admin_factory(sim)
    core = k8s.CoreV1Api(api_client)
    other_ns = f"{namespace[:50]}-b"
    core.create_namespace({"metadata": {"name": other_ns, "labels": {"pingone-e2e": "true"}}})
    try:
        _run_matrix(control_plane, sim, admin, cluster, namespace, other_ns, run_operator)
    finally:
        core.delete_namespace(other_ns)


def _apply(control_plane, namespace, name, spec, *args):
    obj = resource(name, spec)
    obj["metadata"]["namespace"] = namespace
    return control_plane.kubectl("apply", "-f", "-", *args, input=json.dumps(obj), check=False)


def _run_matrix(control_plane, sim, admin, cluster, namespace, other_ns, run_operator):
    operator = run_operator(sim, namespaces=[namespace, other_ns], ADOPTION_ALLOWED_NAMESPACES=namespace)
    control_plane.kubectl("create", "secret", "generic", FOREIGN_SECRET, "-n", namespace, "--from-literal=keep=me")

    # The good resource first (it owns GOOD_NAME in PingOne), plus one whose type and environment
    # are changed on update below.
    assert _apply(control_plane, namespace, "good", spec_for(GOOD_NAME)).returncode == 0
    assert _apply(control_plane, namespace, "mutable", spec_for("Mutable-App")).returncode == 0
    wait_all_ready(cluster, 2, timeout=60, progress=None)

    # -- refused at apply time ----------------------------------------------------------------
    def refuse(item):
        name, (spec, needles) = item
        result = _apply(control_plane, namespace, f"refused-{name}", spec)
        return name, result.returncode, result.stderr.strip(), needles

    with ThreadPoolExecutor(4) as pool:
        refusals = list(pool.map(refuse, REFUSED.items()))
    updates = []
    for name, spec, needle in (
        ("type-change-on-update", spec_for("Mutable-App", type="NATIVE_APP"), "type is immutable"),
        ("environment-change-on-update", spec_for("Mutable-App", environmentId=OTHER_ENV),
         "environmentId is immutable"),
    ):
        result = _apply(control_plane, namespace, "mutable", spec)
        updates.append((name, result.returncode, result.stderr.strip(), [needle]))
    not_refused, unnamed = [], []
    for name, code, stderr, needles in refusals + updates:
        if code == 0:
            not_refused.append(name)
        elif not all(n in stderr for n in needles):
            unnamed.append((name, stderr[-300:]))
    print(f"\n  refused at apply: {len(refusals) + len(updates) - len(not_refused)}/{len(refusals) + len(updates)}")
    assert not not_refused, f"accepted by the API server: {not_refused}"
    assert not unnamed, "refusals not naming the field:\n" + "\n".join(f"{n}: {e}" for n, e in unnamed)
    assert {o["metadata"]["name"] for o in cluster.apps()} == {"good", "mutable"}
    mutable = next(o for o in cluster.apps() if o["metadata"]["name"] == "mutable")
    assert mutable["spec"]["type"] == "WEB_APP" and "environmentId" not in mutable["spec"]

    # Without strict field validation the API server drops unknown fields (the CRD does not
    # preserve them): the resource is accepted without the field, and PingOne never sees it.
    pruned = _apply(control_plane, namespace, "pruned", {**spec_for("Pruned-App"), "colour": "blue"},
                    "--validate=false")
    assert pruned.returncode == 0, pruned.stderr

    # -- accepted, and reported ---------------------------------------------------------------
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda kv: _apply(control_plane, namespace, kv[0], kv[1][0]), LANDED.items()))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
    cross_name, cross_spec, cross_reason, cross_text = CROSS_NAMESPACE
    assert _apply(control_plane, other_ns, cross_name, cross_spec).returncode == 0
    # A good resource applied alongside the bad ones.
    assert _apply(control_plane, namespace, "good-alongside", spec_for("Good-Alongside")).returncode == 0

    expected = {(namespace, n): (reason, text) for n, (_, reason, text) in LANDED.items()}
    expected[(other_ns, cross_name)] = (cross_reason, cross_text)

    def outcomes():
        got = {}
        for ns in (namespace, other_ns):
            for o in cluster.apps(ns):
                got[(ns, o["metadata"]["name"])] = ready_condition(o)
        return got

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = outcomes()
        if all(got.get(k, {}).get("reason") == reason for k, (reason, _) in expected.items()):
            break
        time.sleep(1)
    got = outcomes()
    wrong = {f"{ns}/{n}": (got.get((ns, n)), want) for (ns, n), want in expected.items()
             if got.get((ns, n), {}).get("reason") != want[0] or want[1] not in got[(ns, n)].get("message", "")}
    print(f"  accepted and reported Ready=False: {len(expected) - len(wrong)}/{len(expected)}: "
          f"{dict(Counter(r for r, _ in expected.values()))}")
    assert not wrong, json.dumps(wrong, indent=1, default=str)
    for name in ("good", "good-alongside", "pruned"):
        condition = wait_for(lambda: ready_condition(next(o for o in cluster.apps() if o["metadata"]["name"] == name)),
                             timeout=60, what=f"{name}'s Ready condition")
        assert condition["status"] == "True", (name, condition)
    pruned_obj = next(o for o in cluster.apps() if o["metadata"]["name"] == "pruned")
    assert "colour" not in pruned_obj["spec"]
    assert all("colour" not in json.dumps(e.get("body")) for e in admin.all_requests())

    # -- no hot loop ---------------------------------------------------------------------------
    admin.clear_requests()
    time.sleep(QUIET_WINDOW)
    stats = RequestStats(admin.all_requests())
    by_id = {o["status"]["applicationId"]: o["metadata"]["name"] for o in cluster.apps()
             if (o.get("status") or {}).get("applicationId")}
    per_resource = Counter()
    for e in stats.entries:
        parts = e["path"].split("/")
        if "applications" in parts and parts.index("applications") + 1 < len(parts):
            per_resource[by_id.get(parts[parts.index("applications") + 1], "unknown id")] += 1
        elif e["method"] == "POST" and isinstance(e.get("body"), dict):
            per_resource[f"POST {e['body'].get('name')}"] += 1
        elif OTHER_ENV in e["path"]:
            per_resource["unknown-environment"] += 1
        elif e["path"].endswith("/as/token"):
            per_resource["token"] += 1
        else:
            per_resource[f"{e['method']} list"] += 1
    print(f"  PingOne requests in a quiet {QUIET_WINDOW:.0f}s window: {len(stats.entries)} {dict(per_resource)}")
    assert not any(k.startswith("POST ") for k in per_resource), "an invalid spec was POSTed again"
    assert max(per_resource.values(), default=0) <= 10, per_resource
    assert len(stats.entries) <= 30

    # -- the operator survived all of it ----------------------------------------------------------
    logs = operator.logs()
    assert operator.running and operator.process.starts == 1
    assert "failed with an exception" not in logs, "an unexpected exception in a handler"
    assert "Traceback" not in logs
    scan = leak_scan(operator_logs=[logs], cluster=cluster, admin=admin, namespaces=[other_ns])
    print(f"  leak scan: {scan['needles']} secrets/tokens in {scan['scanned_chars']} chars: {len(scan['hits'])} hits")
    assert scan["hits"] == []
    bad_total = len(REFUSED) + len(updates) + len(LANDED) + 1
    print(f"  bad inputs tried: {bad_total} (+1 unknown field pruned without strict validation)")
    assert bad_total >= 30
