"""A PingOneResource's decisions with plain data: its fields three-way, its scopes three-way,
built-in resources protected, identity, deletion and tenancy as for applications."""

import pytest

from pingone_operator.api import PingOneConnectionSpec
from pingone_operator.api.resource import PingOneResourceSpec, PingOneResourceStatus
from pingone_operator.plan import access, identity, scopes, sync
from pingone_operator.plan import resource as plan
from pingone_operator.plan.kinds import PINGONE_RESOURCE
from pingone_operator.plan.outcome import Event, Resource
from tests.contract import errors_against

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
ADOPT = "7029adfa-0000-4000-8000-000000000001"
BASE = {"name": "Orders API", "audience": "https://orders.example.com", "scopes": [
    {"name": "orders:read", "description": "Read orders"}, {"name": "orders:write"}]}


def spec(**fields):
    return PingOneResourceSpec.model_validate({**BASE, **fields})


def resource(status=None, **fields) -> Resource:
    return Resource("team-a", "orders-api", "uid-1", 2, spec(**fields),
                    PingOneResourceStatus.model_validate(status or {}), PINGONE_RESOURCE)


def found(**fields):
    """PingOne's GET of the resource: its defaults shown, fields nobody declared included."""
    return {"id": "r-1", "name": "Orders API", "type": "CUSTOM", "audience": "https://orders.example.com",
            "accessTokenValiditySeconds": 3600, "introspectEndpointAuthMethod": "CLIENT_SECRET_BASIC",
            "environment": {"id": ENV}, "createdAt": "c", "updatedAt": "u", **fields}


def scope(id_, name, description=None):
    return {"id": id_, "name": name, **({"description": description} if description else {})}


def changes(s, before, items, observe_only=False):
    return [(c.action, c.key) for c in scopes.plan(s, before, items, observe_only=observe_only)]


# --- the resource's fields ---------------------------------------------------------------------

def test_create_sends_only_what_the_spec_says_and_type_custom():
    assert plan.create_body(spec()) == {"name": "Orders API", "audience": "https://orders.example.com",
                                        "type": "CUSTOM"}
    full = spec(description="Orders", accessTokenValiditySeconds=600)
    assert plan.create_body(full)["accessTokenValiditySeconds"] == 600
    assert errors_against("Resource", plan.create_body(full), closed=True) == []  # PingOne's names and types


def test_a_declared_field_is_enforced_and_undeclared_ones_are_carried_over():
    change = plan.update(resource(accessTokenValiditySeconds=900), found(), drift_check=False)
    assert change.drifted == ["accessTokenValiditySeconds"] and change.event.reason == "Updated"
    assert change.body["accessTokenValiditySeconds"] == 900
    assert change.body["introspectEndpointAuthMethod"] == "CLIENT_SECRET_BASIC"  # never declared: kept
    assert not {"id", "environment", "createdAt", "updatedAt"} & set(change.body)
    assert plan.update(resource(), found(), drift_check=True) == sync.Update([], None, None)


def test_a_dropped_field_goes_back_to_pingones_default_and_then_is_no_drift():
    before = {"managedFields": ["accessTokenValiditySeconds", "audience", "description", "name"]}
    current = found(accessTokenValiditySeconds=900, description="old")
    change = plan.update(resource(before, audience=None), current, drift_check=False)
    assert change.drifted == ["accessTokenValiditySeconds", "audience", "description"]
    assert change.body["audience"] == "Orders API"  # PingOne: "the resource name is used"
    assert change.body["accessTokenValiditySeconds"] == 3600 and "description" not in change.body
    settled = found(audience="Orders API")
    assert plan.update(resource(before, audience=None), settled, drift_check=True).body is None


def test_drift_is_restored_and_observe_only_only_reports_it():
    drifted = found(audience="https://elsewhere.example.com")
    change = plan.update(resource(), drifted, drift_check=True)
    assert change.event.reason == "DriftCorrected" and change.body["audience"] == "https://orders.example.com"
    watching = plan.update(resource(managementPolicy="ObserveOnly"), drifted, drift_check=True)
    assert watching.body is None and watching.event.reason == "DriftDetected"


@pytest.mark.parametrize("built_in", [found(name="openid", type="OPENID_CONNECT"),
                                      found(name="PingOne API", type="PINGONE_API")])
def test_built_in_resources_are_never_managed(built_in):
    failure = plan.protects(built_in)
    assert failure.reason == "ProtectedResource" and not failure.retry
    assert plan.protects(found()) is None


def test_the_spec_refuses_what_pingone_would():
    with pytest.raises(ValueError):
        spec(accessTokenValiditySeconds=299)
    with pytest.raises(ValueError):
        spec(accessTokenValiditySeconds=2592001)
    with pytest.raises(ValueError):
        spec(audience="https://orders.example.com/#fragment")
    with pytest.raises(ValueError):
        spec(scopes=[{"name": "has space"}])


# --- scopes ------------------------------------------------------------------------------------

def test_declared_scopes_are_created_and_a_changed_description_is_one_update():
    assert changes(spec(), None, []) == [("create", "orders:read"), ("create", "orders:write")]
    present = [scope("s1", "orders:read", "Read orders"), scope("s2", "orders:write")]
    assert changes(spec(), ["orders:read", "orders:write"], present) == []
    edited = spec(scopes=[{"name": "orders:read", "description": "Read all orders"}, {"name": "orders:write"}])
    assert changes(edited, ["orders:read", "orders:write"], present) == [("update", "orders:read")]


def test_a_removed_scope_is_deleted_and_a_never_declared_one_is_left_alone():
    present = [scope("s1", "orders:read", "Read orders"), scope("s2", "orders:write"), scope("s3", "console:made")]
    fewer = spec(scopes=[{"name": "orders:read", "description": "Read orders"}])
    assert changes(fewer, ["orders:read", "orders:write"], present) == [("delete", "orders:write")]
    assert changes(fewer, ["orders:read"], present) == []  # console:made and orders:write never declared here
    assert changes(spec(scopes=None), ["orders:read", "orders:write"], present) == \
        [("delete", "orders:read"), ("delete", "orders:write")]


def test_observe_only_reports_missing_and_differing_scopes_and_deletes_nothing():
    present = [scope("s1", "orders:read", "Other")]
    planned = scopes.plan(spec(), ["gone"], present + [scope("s9", "gone")], observe_only=True)
    assert scopes.drifted(planned) == ["scopes[orders:read]", "scopes[orders:write]"]


# --- status, identity, deletion, tenancy -------------------------------------------------------

def test_a_synced_status_records_identity_declared_fields_scopes_and_conditions():
    status = plan.synced(resource(), PingOneResourceStatus(), found(), ENV, [])
    assert (status.resourceId, status.updatedAt, status.environmentId, status.observedGeneration) == \
        ("r-1", "u", ENV, 2)
    assert status.managedFields == ["audience", "name"]
    assert status.managedScopes == ["orders:read", "orders:write"]
    assert {c.type: c.status for c in status.conditions} == {"Ready": "True", "Synced": "True", "Reconciling": "False", "Stalled": "False"}
    assert sync.status_patch(status, status) == {}
    watching = plan.synced(resource(managementPolicy="ObserveOnly"), PingOneResourceStatus(), found(), ENV,
                           ["scopes[orders:read]"])
    assert watching.driftedFields == ["scopes[orders:read]"] and watching.managedScopes is None
    assert {c.type: c.reason for c in watching.conditions}["Synced"] == "Drifted"


def test_identity_speaks_of_resources():
    assert identity.id_to_read(resource({"resourceId": "known"}, adoptResourceId=ADOPT)) == "known"
    assert identity.id_to_read(resource(adoptResourceId=ADOPT)) == ADOPT
    assert identity.identity(found(), ENV, PINGONE_RESOURCE) == {"resourceId": "r-1", "environmentId": ENV,
                                                                 "pendingCreate": None}
    gone = identity.missing(resource({"resourceId": "r-1"}), "r-1", ENV)
    assert isinstance(gone, Event) and gone.reason == "ResourceMissing"
    assert identity.forget(PingOneResourceStatus(resourceId="r-1", updatedAt="u"), PINGONE_RESOURCE).resourceId is None
    conflict = identity.same_name(resource(), found(), ENV)
    assert conflict.reason == "NameConflict" and "spec.adoptResourceId" in conflict.message


@pytest.mark.parametrize("status, fields, needs_pingone, reason", [
    ({}, {}, False, "Deleted"),
    ({"resourceId": "r"}, {"deletionPolicy": "Orphan"}, False, "Orphaned"),
    ({"resourceId": "r"}, {"managementPolicy": "ObserveOnly"}, False, "Orphaned"),
    ({"resourceId": "r"}, {"adoptResourceId": ADOPT}, False, "Orphaned"),  # adopted: kept by default
    ({"resourceId": "r"}, {}, True, None),
])
def test_deletion_by_policy_and_state(status, fields, needs_pingone, reason):
    outcome = sync.deletion_without_pingone(resource(status, **fields))
    assert (outcome is None) is needs_pingone
    if outcome:
        assert [e.reason for e in outcome.events] == [reason] and "resource" in outcome.events[0].message


def test_adoption_follows_the_applications_rule():
    s = spec(adoptResourceId=ADOPT)
    closed = access.default_policy(ENV)
    failure = access.check(closed, "team-a", {}, ENV, s, PINGONE_RESOURCE)
    assert failure.reason == "AdoptionNotAllowed" and "resources" in failure.message
    allowed = access.default_policy(ENV, adoption_namespaces=["team-a"])
    assert access.check(allowed, "team-a", {}, ENV, s, PINGONE_RESOURCE) is None
    listed = access.default_policy(ENV, adoption_namespaces=["team-a"], adoptable_ids=["0e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b"])
    assert access.check(listed, "team-a", {}, ENV, s, PINGONE_RESOURCE).reason == "AdoptionNotAllowed"


def test_namespaces_and_environments_as_the_connection_allows():
    conn = access.connection_policy("c", PingOneConnectionSpec.model_validate(
        {"environmentId": ENV, "credentialsSecret": {"name": "creds"}, "allowedNamespaces": ["team-a"]}))
    assert access.check(conn, "team-a", {}, ENV, spec(), PINGONE_RESOURCE) is None
    assert access.check(conn, "team-b", {}, ENV, spec(), PINGONE_RESOURCE).reason == "ConnectionDenied"
    assert access.check(conn, "team-a", {}, ADOPT, spec(), PINGONE_RESOURCE).reason == "ConnectionDenied"
