"""Tenancy decisions: namespaces, environments, adoption and the worker application."""

import pytest

from pingone_operator.plan import access
from pingone_operator.api import PingOneApplicationSpec, PingOneConnectionSpec

HOME = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
OTHER = "0e1d2c3b-4a59-4687-9a1b-2c3d4e5f6a7b"
APP = "7029adfa-0000-4000-8000-000000000001"
WORKER = "7029adfa-0000-4000-8000-00000000000f"
BASE = {"name": "a", "type": "WORKER", "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
        "grantTypes": ["CLIENT_CREDENTIALS"]}


def spec(**fields):
    return PingOneApplicationSpec.model_validate({**BASE, **fields})


def connection(**fields):
    return PingOneConnectionSpec.model_validate({
        "environmentId": HOME, "credentialsSecret": {"name": "creds"}, "allowedNamespaces": ["team-a"], **fields})


def reason(failure):
    return failure.reason if failure else None


def test_the_default_connection_allows_every_namespace_but_only_its_own_environment():
    policy = access.default_policy(HOME)
    assert access.check(policy, "anyone", {}, HOME, spec()) is None
    assert reason(access.check(policy, "anyone", {}, OTHER, spec())) == "ConnectionDenied"
    wider = access.default_policy(HOME, environments=[HOME, OTHER])
    assert access.check(wider, "anyone", {}, OTHER, spec()) is None


def test_the_default_connection_can_be_limited_to_listed_namespaces():
    policy = access.default_policy(HOME, namespaces=["team-a"])
    assert access.check(policy, "team-a", {}, HOME, spec()) is None
    assert reason(access.check(policy, "team-b", {}, HOME, spec())) == "ConnectionDenied"


def test_a_connection_allows_its_namespaces_by_name_or_label():
    policy = access.connection_policy("c", connection(namespaceSelector={"matchLabels": {"tier": "gold"}}))
    assert policy.needs_labels
    assert access.check(policy, "team-a", {}, HOME, spec()) is None
    assert access.check(policy, "team-z", {"tier": "gold"}, HOME, spec()) is None
    assert reason(access.check(policy, "team-z", {"tier": "silver"}, HOME, spec())) == "ConnectionDenied"
    assert reason(access.check(policy, "team-a", {}, OTHER, spec())) == "ConnectionDenied"


@pytest.mark.parametrize("policy", [access.default_policy(HOME), access.connection_policy("c", connection())])
def test_adoption_is_off_unless_an_administrator_allows_it(policy):
    failure = access.check(policy, "team-a", {}, HOME, spec(adoptApplicationId=APP))
    assert reason(failure) == "AdoptionNotAllowed" and failure.retry


def test_adoption_allowed_for_a_namespace_and_narrowed_to_listed_ids():
    policy = access.default_policy(HOME, adoption_namespaces=["team-a"], adoptable_ids=[APP])
    assert access.check(policy, "team-a", {}, HOME, spec(adoptApplicationId=APP)) is None
    assert reason(access.check(policy, "team-a", {}, HOME, spec(adoptApplicationId=OTHER))) == "AdoptionNotAllowed"
    assert reason(access.check(policy, "team-b", {}, HOME, spec(adoptApplicationId=APP))) == "AdoptionNotAllowed"
    conn = access.connection_policy("c", connection(adoption={"namespaceSelector": {"matchLabels": {"adopt": "yes"}}}))
    assert access.check(conn, "team-a", {"adopt": "yes"}, HOME, spec(adoptApplicationId=APP)) is None
    assert reason(access.check(conn, "team-a", {}, HOME, spec(adoptApplicationId=APP))) == "AdoptionNotAllowed"


def test_the_worker_application_is_never_adopted_or_managed():
    failure = access.protect_worker(WORKER, spec(adoptApplicationId=WORKER), None)
    assert reason(failure) == "ProtectedApplication" and not failure.retry
    assert reason(access.protect_worker(WORKER, spec(), WORKER)) == "ProtectedApplication"
    assert access.protect_worker(WORKER, spec(adoptApplicationId=APP), None) is None


def test_an_adopted_application_is_orphaned_by_default():
    assert spec(adoptApplicationId=APP).effective_deletion_policy() == "Orphan"
    assert spec(adoptApplicationId=APP, deletionPolicy="Delete").effective_deletion_policy() == "Delete"
    assert spec().effective_deletion_policy() == "Delete"
