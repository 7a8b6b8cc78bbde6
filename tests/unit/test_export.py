"""`pingone-operator export`: PingOne's JSON to ObserveOnly specs (plain data), and the read-and-write loop
against a fake PingOne."""

import asyncio
import io
import json
from pathlib import Path

import yaml

from pingone_operator import export
from pingone_operator.api import PingOneApplicationSpec
from pingone_operator.pingone.errors import NotFound
from pingone_operator.plan import lists
from pingone_operator.plan import export as plan
from pingone_operator.plan.fields import declared_fields, drifted_fields

SEED_RESPONSE = json.loads((Path(__file__).parents[3] / "shared/reference/seed-response.json").read_text())
ENV = SEED_RESPONSE["environment"]["id"]
APP_ID = SEED_RESPONSE["id"]
WORKER_ID = "11111111-2222-3333-4444-555555555555"
CATALOGUE = lists.Catalogue(
    resources={"openid": "r-oidc", "Orders API": "r-orders"},
    scopes={"r-oidc": {"openid": "s-openid", "profile": "s-profile"}, "r-orders": {"orders:read": "s-read"}},
    policies={"Single_Factor": "p-single", "Multi_Factor": "p-mfa"},
    roles={"Identity Data Read Only": "role-read"},
)


def exported(app, **kwargs):
    result = plan.application_spec(app, ENV, worker_id=WORKER_ID, catalogue=CATALOGUE, **kwargs)
    if result.spec is not None:  # the promise: it validates, and the operator would read no drift from it
        model = PingOneApplicationSpec.model_validate(result.spec)
        assert drifted_fields(declared_fields(model), app) == []
    return result


def test_pingone_json_becomes_an_observe_only_adoption_with_every_field_pingone_has():
    result = exported(SEED_RESPONSE)
    assert result.notes == []
    spec = result.spec
    assert spec["adoptApplicationId"] == APP_ID and spec["managementPolicy"] == "ObserveOnly"
    assert spec["environmentId"] == ENV
    for key in ("id", "clientId", "createdAt", "updatedAt", "_links", "environment", "assignActorRoles"):
        assert key not in spec  # server-managed and create-only fields
    assert {k: spec[k] for k in ("name", "pkceEnforcement", "parTimeout", "redirectUris")} == {
        "name": "Shared-Web-App", "pkceEnforcement": "OPTIONAL", "parTimeout": 60,
        "redirectUris": ["http://localhost:3000/callback"]}
    assert "connectionRef" not in spec
    assert exported(SEED_RESPONSE, connection_ref="team-a").spec["connectionRef"] == {"name": "team-a"}


def test_fields_the_model_does_not_know_are_left_out_and_said():
    app = {**SEED_RESPONSE, "template": {"id": "t-1"}, "mobile": {"bundleId": "org.example.app", "futureField": 1}}
    result = exported(app)
    assert "template" not in result.spec and result.spec["mobile"] == {"bundleId": "org.example.app"}
    assert any(n.startswith("template: left out, the operator does not model it") for n in result.notes)
    assert any(n.startswith("mobile.futureField: left out, the operator does not model it") for n in result.notes)


def test_a_value_the_bounds_refuse_leaves_the_whole_field_out_never_shortened():
    too_long = "https://app.example.com/" + "x" * 600
    result = exported({**SEED_RESPONSE, "redirectUris": ["https://app.example.com/cb", too_long],
                       "homePageUrl": "https://app.example.com/" + "y" * 2000,
                       "corsSettings": {"behavior": "SOMETHING_NEW"}})
    spec = result.spec
    assert "redirectUris" not in spec and "homePageUrl" not in spec and "corsSettings" not in spec
    assert any(n.startswith("redirectUris: left out, redirectUris[1]: String should have at most 512")
               for n in result.notes)
    assert any(n.startswith("homePageUrl: left out") for n in result.notes)
    assert any(n.startswith("corsSettings.behavior: left out") for n in result.notes)


def test_an_object_missing_a_required_part_is_left_out_whole():
    result = exported({**SEED_RESPONSE, "icon": {"href": "https://img.example.com/a.png"}})
    assert "icon" not in result.spec and any(n.startswith("icon: left out, icon.id: Field required") for n in result.notes)


def test_secrets_never_appear():
    app = {**SEED_RESPONSE, "type": "NATIVE_APP", "mobile": {"integrityDetection": {
        "mode": "ENABLED", "cacheDuration": {"amount": 24, "units": "HOURS"},
        "googlePlay": {"verificationType": "INTERNAL", "decryptionKey": "s3cr3t-dec", "verificationKey": "s3cr3t-ver"}}}}
    result = exported(app)
    assert "s3cr3t" not in json.dumps(result.spec)
    assert result.spec["mobile"]["integrityDetection"]["googlePlay"] == {"verificationType": "INTERNAL"}
    assert sum("a secret is never exported" in n for n in result.notes) == 2


def test_the_worker_the_operator_signs_in_as_is_never_exported():
    result = plan.application_spec({**SEED_RESPONSE, "id": WORKER_ID, "clientId": WORKER_ID}, ENV, worker_id=WORKER_ID)
    assert result.spec is None and "worker application" in result.notes[0]


def test_an_application_the_model_cannot_describe_is_skipped_with_the_reason():
    saml = {"id": "a-saml", "name": "Legacy", "type": "WEB_APP", "protocol": "SAML", "enabled": True}
    result = exported(saml)
    assert result.spec is None and result.notes[0].startswith("protocol: ")
    portal = {**SEED_RESPONSE, "type": "PORTAL_LINK_APP"}
    assert exported(portal).spec is None


def grant(resource, *scopes):
    return {"id": f"g-{resource}", "resource": {"id": resource}, "scopes": [{"id": s} for s in scopes]}


def test_lists_come_back_by_name_and_read_back_without_drift():
    children = {
        "grants": [grant("r-orders", "s-read"), grant("r-oidc", "s-profile", "s-openid")],
        "attributes": [{"id": "m1", "name": "sub", "value": "${user.id}", "required": True, "mappingType": "CORE"},
                       {"id": "m2", "name": "tier", "value": "gold", "required": False, "mappingType": "CUSTOM"},
                       {"id": "m3", "name": "email", "value": "${user.email}", "required": True, "mappingType": "CUSTOM",
                        "idToken": True, "userInfo": True}],
        "signOnPolicyAssignments": [{"id": "a2", "signOnPolicy": {"id": "p-single"}, "priority": 2},
                                    {"id": "a1", "signOnPolicy": {"id": "p-mfa"}, "priority": 1}],
    }
    result = exported(SEED_RESPONSE, children=children)
    assert result.notes == []
    spec = result.spec
    assert spec["grants"] == [{"resource": "Orders API", "scopes": ["orders:read"]},
                              {"resource": "openid", "scopes": ["openid", "profile"]}]
    assert spec["attributeMappings"] == [{"name": "email", "value": "${user.email}", "required": True},
                                         {"name": "tier", "value": "gold"}]  # PingOne's core `sub` is not ours
    assert spec["signOnPolicies"] == ["Multi_Factor", "Single_Factor"]  # priority order
    model = PingOneApplicationSpec.model_validate(spec)
    for kind, items in children.items():
        wanted = lists.wanted(model, kind, CATALOGUE)
        assert lists.changes(kind, wanted, lists.have(kind, items), set(), False) == []


def test_role_assignments_for_a_worker_and_empty_lists_left_unsaid():
    worker = {**SEED_RESPONSE, "type": "WORKER", "grantTypes": ["CLIENT_CREDENTIALS"], "responseTypes": [],
              "redirectUris": [], "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"}
    scope = {"type": "ENVIRONMENT", "id": ENV}
    children = {"roleAssignments": [{"id": "ra", "role": {"id": "role-read"}, "scope": scope}], "grants": []}
    spec = exported(worker, children=children).spec
    assert spec["roleAssignments"] == [{"role": "Identity Data Read Only", "scope": scope}]
    assert "grants" not in spec


def test_parts_of_a_mapping_the_spec_has_no_field_for_are_said():
    mapping = {"id": "m", "name": "tier", "value": "gold", "required": False, "idToken": False, "oidcScopes": ["s-x"]}
    result = exported(SEED_RESPONSE, children={"attributes": [mapping]})
    assert result.spec["attributeMappings"] == [{"name": "tier", "value": "gold"}]
    assert result.notes == ["attributeMappings[tier].idToken: left out, the operator does not model it",
                            "attributeMappings[tier].oidcScopes: left out, the operator does not model it"]


def test_a_list_that_cannot_be_said_by_name_or_would_drift_is_left_out_with_the_reason():
    unknown = exported(SEED_RESPONSE, children={"grants": [grant("r-gone", "s-x")]})
    assert "grants" not in unknown.spec and unknown.notes == [
        "grants: left out, resource r-gone is not among the environment's resources"]
    # Priorities 1 and 3: a spec says only the order, so the operator would see 3 as drift.
    gaps = [{"id": "a1", "signOnPolicy": {"id": "p-mfa"}, "priority": 1},
            {"id": "a3", "signOnPolicy": {"id": "p-single"}, "priority": 3}]
    result = exported(SEED_RESPONSE, children={"signOnPolicyAssignments": gaps})
    assert "signOnPolicies" not in result.spec
    assert result.notes == ["signOnPolicies: left out, the operator would read it back differently (drift)"]
    many = [{"id": f"m{n}", "name": f"claim{n}", "value": "v"} for n in range(51)]
    result = exported(SEED_RESPONSE, children={"attributes": many})
    assert "attributeMappings" not in result.spec
    assert result.notes[0].startswith("attributeMappings: left out, attributeMappings: List should have at most 50")


def test_resource_names_are_dns_1123_and_unique():
    apps = [{"id": "aaaaaaaa-1", "name": "Shared Web App"}, {"id": "bbbbbbbb-2", "name": "shared_web_app"},
            {"id": "cccccccc-3", "name": "Café ✓"}, {"id": "dddddddd-4", "name": "✓✓"},
            {"id": "eeeeeeee-5", "name": "x" * 300}]
    names = plan.resource_names(apps)
    assert names["aaaaaaaa-1"] == "shared-web-app" and names["bbbbbbbb-2"] == "shared-web-app-bbbbbbbb"
    assert names["cccccccc-3"] == "cafe" and names["dddddddd-4"] == "application"
    assert names["eeeeeeee-5"] == "x" * 63
    assert len(set(names.values())) == len(apps)


# --- the loop, against a fake PingOne ------------------------------------------------------------

class FakePingOne:
    """Applications and grants; no attributes, policies or roles endpoints (404), as a partial PingOne."""

    def __init__(self, apps, grants):
        self.apps, self.grants = apps, grants

    async def list_applications(self, env):
        return self.apps

    async def list_resources(self, env):
        return [{"id": i, "name": n} for n, i in CATALOGUE.resources.items()]

    async def list_scopes(self, env, resource_id):
        return [{"id": i, "name": n} for n, i in CATALOGUE.scopes[resource_id].items()]

    async def list_sign_on_policies(self, env):
        raise NotFound("no such route")

    async def list_roles(self):
        raise NotFound("no such route")

    async def list_children(self, env, app_id, kind):
        if kind != "grants":
            raise NotFound("no such route")
        return self.grants.get(app_id, [])


def test_the_loop_writes_manifests_reports_on_stderr_and_never_the_worker():
    apps = [{**SEED_RESPONSE, "id": f"0000000{n}-0000-0000-0000-000000000000", "clientId": f"c{n}",
             "name": f"App {n}"} for n in range(3)]
    apps.append({**SEED_RESPONSE, "id": WORKER_ID, "clientId": WORKER_ID, "name": "Operator", "type": "WORKER"})
    apps.append({**SEED_RESPONSE, "id": "99999999-0000-0000-0000-000000000000", "name": "Other", "protocol": "SAML"})
    fake = FakePingOne(apps, {apps[0]["id"]: [grant("r-oidc", "s-openid")]})
    said, bar = [], io.StringIO()
    manifests = asyncio.run(export.export(fake, ENV, worker_id=WORKER_ID, name_filters=["App *", "Operator", "Other"],
                                          namespace="team-a", connection_ref=None, concurrency=4, say=said.append,
                                          progress_stream=bar))
    assert [name for name, _ in manifests] == ["app-0", "app-1", "app-2"]
    first = manifests[0][1]
    assert first["metadata"] == {"name": "app-0", "namespace": "team-a"} and first["kind"] == "PingOneApplication"
    assert first["spec"]["grants"] == [{"resource": "openid", "scopes": ["openid"]}]
    assert bar.getvalue().splitlines()[-1] == "exporting 5/5"
    text = "\n".join(said)
    assert "spec.signOnPolicies is not exported" in text and "spec.roleAssignments is not exported" in text
    assert "spec.attributeMappings is not exported" in text
    assert f"Operator ({WORKER_ID}): skipped: this is the worker application" in text
    assert "Other (99999999-0000-0000-0000-000000000000): skipped: protocol:" in text
    assert said[-1] == "3 of 5 applications exported (2 skipped, 0 fields left out)"
    assert yaml.safe_load(export.render(first)) == first


def test_the_name_filter_is_a_glob():
    apps = [{**SEED_RESPONSE, "id": f"0000000{n}-0000-0000-0000-000000000000", "name": name}
            for n, name in enumerate(["Team-A-Web", "Team-B-Web", "team-a-api"])]
    manifests = asyncio.run(export.export(FakePingOne(apps, {}), ENV, worker_id=WORKER_ID, name_filters=["Team-A-*"],
                                          namespace=None, connection_ref="conn", concurrency=2, say=lambda _: None,
                                          progress_stream=io.StringIO()))
    assert [m["spec"]["name"] for _, m in manifests] == ["Team-A-Web"]
    assert "namespace" not in manifests[0][1]["metadata"] and manifests[0][1]["spec"]["connectionRef"] == {"name": "conn"}


def test_the_command_keeps_yaml_on_stdout_and_everything_else_on_stderr(monkeypatch, capsys, tmp_path):
    fake = FakePingOne([{**SEED_RESPONSE, "name": "Web"}], {})
    fake.aclose = lambda: asyncio.sleep(0)
    monkeypatch.setattr(export.PingOneClient, "from_settings", classmethod(lambda cls, settings: fake))
    for key, value in {"PINGONE_ENVIRONMENT_ID": ENV, "PINGONE_CLIENT_ID": WORKER_ID,
                       "PINGONE_CLIENT_SECRET": "top-secret"}.items():
        monkeypatch.setenv(key, value)
    assert export.main([]) == 0
    out, err = capsys.readouterr()
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(out)] == ["web"]
    assert "exporting 1/1" in err and "exporting" not in out and "top-secret" not in out + err
    assert export.main(["--output", str(tmp_path / "out")]) == 0
    assert yaml.safe_load((tmp_path / "out" / "web.yaml").read_text())["spec"]["adoptApplicationId"] == APP_ID
    assert capsys.readouterr().out == ""
    assert export.main(["--environment", "not-a-uuid"]) == 2
