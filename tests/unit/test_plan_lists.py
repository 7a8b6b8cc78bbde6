"""An application's lists, three-way, with plain data; and who may give which role."""

import json
from pathlib import Path

from pingone_operator.api import ManagedEntries, PingOneApplicationSpec
from pingone_operator.plan import access, lists
from pingone_operator.plan.outcome import Failure

SEED = json.loads((Path(__file__).parents[3] / "shared/reference/seed-request.json").read_text())
ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
CATALOGUE = lists.Catalogue(
    resources={"openid": "r-oidc", "Orders API": "r-orders"},
    scopes={"r-oidc": {"openid": "s-openid", "profile": "s-profile", "email": "s-email"},
            "r-orders": {"orders:read": "s-read", "orders:write": "s-write"}},
    policies={"Single_Factor": "p-single", "Multi_Factor": "p-mfa"},
    roles={"Identity Data Read Only": "role-read", "Environment Admin": "role-admin"},
)
WORKER = {"name": "w", "type": "WORKER", "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
          "grantTypes": ["CLIENT_CREDENTIALS"]}


def spec(**fields):
    return PingOneApplicationSpec.model_validate({**SEED, **fields})


def grant(id_, resource, *scopes):
    return {"id": id_, "resource": {"id": resource}, "scopes": [{"id": s} for s in scopes]}


def plan(kind, s, items, before=None):
    wanted = lists.wanted(s, kind, CATALOGUE)
    dropped = lists.dropped_matches(kind, s, before, CATALOGUE)
    exclusive = bool(s.exclusive and getattr(s.exclusive, lists.SPEC_FIELD[kind]))
    return [(c.action, c.key) for c in lists.changes(kind, wanted, lists.have(kind, items), dropped, exclusive)]


def test_grants_are_created_updated_as_sets_and_left_alone_when_never_declared():
    s = spec(grants=[{"resource": "openid", "scopes": ["openid", "profile"]}])
    assert plan("grants", s, []) == [("create", "openid")]
    assert plan("grants", s, [grant("g1", "r-oidc", "s-profile", "s-openid")]) == []  # a set: order is no change
    assert plan("grants", s, [grant("g1", "r-oidc", "s-openid")]) == [("update", "openid")]
    someone_elses = grant("g2", "r-orders", "s-read")
    assert plan("grants", s, [grant("g1", "r-oidc", "s-openid", "s-profile"), someone_elses]) == []


def test_a_grant_removed_from_the_spec_goes_and_exclusive_removes_the_undeclared():
    before = ManagedEntries(grants=["openid", "Orders API"])
    s = spec(grants=[{"resource": "openid", "scopes": ["openid"]}])
    items = [grant("g1", "r-oidc", "s-openid"), grant("g2", "r-orders", "s-read")]
    assert plan("grants", s, items, before) == [("delete", "r-orders")]
    assert plan("grants", s, items, ManagedEntries(grants=["openid"])) == []
    exclusive = spec(grants=[{"resource": "openid", "scopes": ["openid"]}], exclusive={"grants": True})
    assert plan("grants", exclusive, items) == [("delete", "r-orders")]


def test_unknown_names_are_refused_by_name():
    failure = lists.wanted(spec(grants=[{"resource": "Nope", "scopes": ["x"]}]), "grants", CATALOGUE)
    assert isinstance(failure, Failure) and failure.reason == "UnknownReference" and "'Nope'" in failure.message
    failure = lists.wanted(spec(grants=[{"resource": "openid", "scopes": ["phone"]}]), "grants", CATALOGUE)
    assert "spec.grants[0].scopes" in failure.message and "'phone'" in failure.message
    assert lists.wanted(spec(signOnPolicies=["Nope"]), "signOnPolicyAssignments", CATALOGUE).reason == \
        "UnknownReference"


def test_attribute_mappings_core_ones_are_never_removed():
    s = spec(attributeMappings=[{"name": "email", "value": "${user.email}"}], exclusive={"attributeMappings": True})
    core = {"id": "m0", "name": "sub", "value": "${user.id}", "required": True, "mappingType": "CORE"}
    stale = {"id": "m1", "name": "email", "value": "${user.name}", "required": False, "mappingType": "CUSTOM"}
    extra = {"id": "m2", "name": "team", "value": "x", "required": False, "mappingType": "CUSTOM"}
    assert plan("attributes", s, [core, stale, extra]) == [("delete", "team"), ("update", "email")]


def test_sign_on_policies_keep_their_order_as_priority():
    s = spec(signOnPolicies=["Multi_Factor", "Single_Factor"])
    items = [{"id": "a1", "signOnPolicy": {"id": "p-single"}, "priority": 1}]
    wanted = lists.wanted(s, "signOnPolicyAssignments", CATALOGUE)
    assert [w.body["priority"] for w in wanted] == [1, 2]
    assert plan("signOnPolicyAssignments", s, items) == [("update", "Single_Factor"), ("create", "Multi_Factor")]


def test_role_assignments_are_keyed_by_role_and_scope():
    s = PingOneApplicationSpec.model_validate({**WORKER, "roleAssignments": [
        {"role": "Identity Data Read Only", "scope": {"type": "ENVIRONMENT", "id": ENV}}]})
    assert plan("roleAssignments", s, []) == [("create", f"Identity Data Read Only@ENVIRONMENT:{ENV}")]
    held = [{"id": "ra1", "role": {"id": "role-read"}, "scope": {"type": "ENVIRONMENT", "id": ENV}}]
    assert plan("roleAssignments", s, held) == []
    assert lists.keys(s).roleAssignments == [f"Identity Data Read Only@ENVIRONMENT:{ENV}"]


def test_only_the_lists_in_play_are_read():
    assert lists.needed(spec(), None) == set()
    assert lists.needed(spec(grants=[]), None) == {"grants"}
    assert lists.needed(spec(), ManagedEntries(signOnPolicies=["Single_Factor"])) == {"signOnPolicyAssignments"}
    assert lists.needed(spec(exclusive={"attributeMappings": True}), None) == {"attributes"}


def test_roles_only_as_allowed_by_the_connection_and_held_by_the_worker():
    s = PingOneApplicationSpec.model_validate({**WORKER, "roleAssignments": [
        {"role": "Identity Data Read Only", "scope": {"type": "ENVIRONMENT", "id": ENV}}]})
    held = {("role-read", "ENVIRONMENT", ENV)}
    none_allowed = access.default_policy(ENV)
    assert access.check_roles(none_allowed, s, CATALOGUE.roles, held).reason == "RoleNotAllowed"
    allowed = access.default_policy(ENV, roles=["Identity Data Read Only"])
    assert access.check_roles(allowed, s, CATALOGUE.roles, held) is None
    assert access.check_roles(allowed, s, CATALOGUE.roles, set()).reason == "RoleNotHeld"
    admin_roles = lists.Catalogue(roles={**CATALOGUE.roles, "Identity Data Admin": "role-ida"}).roles
    assert access.check_roles(allowed, s, admin_roles, {("role-ida", "ENVIRONMENT", ENV)}) is None  # read-only variant
    assert access.check_roles(allowed, s, admin_roles, {("role-ida", "ENVIRONMENT", "elsewhere")}).reason == "RoleNotHeld"
    other_env = PingOneApplicationSpec.model_validate({**WORKER, "roleAssignments": [
        {"role": "Identity Data Read Only", "scope": {"type": "ENVIRONMENT", "id": "0e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b"}}]})
    assert access.check_roles(allowed, other_env, CATALOGUE.roles, held).reason == "RoleNotAllowed"


def test_a_grant_of_another_namespaces_api_needs_that_api_to_allow_it():
    s = spec(grants=[{"resource": "Orders API", "scopes": ["orders:read"]}])
    theirs = {"Orders API": [("team-a", ENV, ())]}
    failure = access.check_grants("team-b", ENV, s, theirs)
    assert failure.reason == "GrantNotAllowed" and "team-a" in failure.message and "grantNamespaces" in failure.message
    assert access.check_grants("team-b", ENV, s, {"Orders API": [("team-a", ENV, ("team-b",))]}) is None
    assert access.check_grants("team-a", ENV, s, theirs) is None  # its own namespace
    assert access.check_grants("team-b", "another-env", s, theirs) is None  # a same-named API elsewhere
    assert access.check_grants("team-b", ENV, s, {}) is None  # not a PingOneResource: the connection's scope
