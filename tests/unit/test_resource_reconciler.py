"""The PingOneResource reconciler against an in-memory PingOne: intents, scopes, drift, deletion."""

import copy
import uuid
from datetime import datetime, timezone

import pytest

from pingone_operator.api.resource import PingOneResourceSpec, PingOneResourceStatus
from pingone_operator.pingone.errors import ErrorDetail, NotFound, ValidationFailed
from pingone_operator.plan.kinds import PINGONE_RESOURCE
from pingone_operator.plan.outcome import Resource
from pingone_operator.plan.rotation import format_time
from pingone_operator.plan.sync import status_patch
from pingone_operator.resource_reconciler import ResourceReconciler

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
SPEC = {"name": "Orders API", "audience": "https://orders.example.com",
        "scopes": [{"name": "orders:read", "description": "Read orders"}, {"name": "orders:write"}]}


class FakePingOne:
    """Resources and scopes as PingOne keeps them (defaults filled in, ids made up)."""

    def __init__(self):
        self.resources, self.scopes, self.calls = {}, {}, []
        self.fail_next = {}  # call -> the exception it raises once

    def _call(self, *call):
        self.calls.append(call)
        if call[0] in self.fail_next:
            raise self.fail_next.pop(call[0])

    def add(self, **fields):
        rid = str(uuid.uuid4())
        self.resources[rid] = {"id": rid, "type": "CUSTOM", "accessTokenValiditySeconds": 3600,
                               "createdAt": format_time(datetime.now(timezone.utc)), "updatedAt": "t0", **fields}
        self.resources[rid].setdefault("audience", fields.get("name"))
        self.scopes[rid] = {}
        return rid

    async def get_resource(self, env, rid):
        self._call("GET", rid)
        if rid not in self.resources:
            raise NotFound("not found", status=404, code="NOT_FOUND")
        return copy.deepcopy(self.resources[rid])

    async def find_resource_by_name(self, env, name):
        self._call("LIST", name)
        return next((copy.deepcopy(r) for r in self.resources.values() if r["name"] == name), None)

    async def create_resource(self, env, body):
        self._call("POST", body["name"])
        if any(r["name"] == body["name"] for r in self.resources.values()):  # PingOne: names are unique
            raise ValidationFailed("name taken", status=400, code="INVALID_DATA",
                                   details=(ErrorDetail("UNIQUENESS_VIOLATION", "name", "name must be unique", {}),))
        return copy.deepcopy(self.resources[self.add(**body)])

    async def replace_resource(self, env, rid, body):
        self._call("PUT", rid)
        kept = {k: self.resources[rid][k] for k in ("id", "type", "createdAt")}
        self.resources[rid] = {"accessTokenValiditySeconds": 3600, "audience": body["name"], **body, **kept,
                               "updatedAt": f"t{len(self.calls)}"}
        return copy.deepcopy(self.resources[rid])

    async def delete_resource(self, env, rid):
        self._call("DELETE", rid)
        self.scopes.pop(rid, None)
        return self.resources.pop(rid, None) is not None

    async def list_scopes(self, env, rid):
        self._call("LIST scopes", rid)
        return [copy.deepcopy(s) for s in self.scopes[rid].values()]

    async def create_scope(self, env, rid, body):
        self._call("POST scope", body["name"])
        sid = str(uuid.uuid4())
        self.scopes[rid][sid] = {"id": sid, **body}
        return copy.deepcopy(self.scopes[rid][sid])

    async def replace_scope(self, env, rid, sid, body):
        self._call("PUT scope", body["name"])
        self.scopes[rid][sid] = {"id": sid, **body}
        return copy.deepcopy(self.scopes[rid][sid])

    async def delete_scope(self, env, rid, sid):
        self._call("DELETE scope", self.scopes[rid][sid]["name"])
        return self.scopes[rid].pop(sid, None) is not None

    def writes(self):
        return [c for c in self.calls if c[0].startswith(("POST", "PUT", "DELETE"))]

    def scope_names(self, rid):
        return sorted(s["name"] for s in self.scopes[rid].values())


class FakeStatus:
    def __init__(self):
        self.patches = []

    async def patch_status(self, resource, fields):
        assert resource.kind is PINGONE_RESOURCE
        self.patches.append(dict(fields))


@pytest.fixture
def world():
    pingone, status, changed = FakePingOne(), FakeStatus(), []
    return ResourceReconciler(pingone, status, ENV, on_change=changed.append), pingone, status, changed


def resource(status=None, generation=1, **fields):
    spec = PingOneResourceSpec.model_validate({**SPEC, **fields})
    status = status.model_dump(mode="json") if isinstance(status, PingOneResourceStatus) else status or {}
    return Resource("team-a", "orders-api", "uid-1", generation, spec, PingOneResourceStatus.model_validate(status),
                    PINGONE_RESOURCE)


def ready(outcome):
    return {c.type: c for c in outcome.status.conditions}["Ready"]


async def test_create_records_intent_then_identity_then_scopes(world):
    reconciler, pingone, status, changed = world
    outcome = await reconciler.sync(resource())
    assert outcome.failure is None and ready(outcome).status == "True"
    rid = outcome.status.resourceId
    assert status.patches[0]["pendingCreate"]["name"] == "Orders API"  # before the POST
    assert len(status.patches) == 1  # the identity rides on the final patch; the intent covers a crash
    assert outcome.status.resourceId == rid and outcome.status.environmentId == ENV
    assert outcome.status.pendingCreate is None
    assert [c[0] for c in pingone.writes()] == ["POST", "POST scope", "POST scope"]
    assert pingone.scope_names(rid) == ["orders:read", "orders:write"]
    assert outcome.status.managedScopes == ["orders:read", "orders:write"]
    assert [e.reason for e in outcome.events] == ["Created", "ScopesUpdated"]
    assert changed == [ENV]  # the applications' grants read the catalogue afresh


async def test_steady_state_writes_nothing(world):
    reconciler, pingone, _, changed = world
    first = await reconciler.sync(resource())
    pingone.calls.clear()
    changed.clear()
    again = await reconciler.sync(resource(first.status), drift_check=True)
    assert pingone.writes() == [] and again.events == [] and changed == []
    assert status_patch(first.status, again.status) == {}


async def test_a_crash_after_the_post_is_recovered_not_duplicated(world):
    reconciler, pingone, status, _ = world
    first = await reconciler.sync(resource())
    intent = status.patches[0]["pendingCreate"]
    pingone.calls.clear()
    outcome = await reconciler.sync(resource({"pendingCreate": intent}))
    assert outcome.status.resourceId == first.status.resourceId and len(pingone.resources) == 1
    assert "Recovered" in [e.reason for e in outcome.events]


async def test_a_stranger_with_the_name_is_a_conflict(world):
    reconciler, pingone, _, _ = world
    pingone.add(name="Orders API")
    outcome = await reconciler.sync(resource())
    assert outcome.failure.reason == "NameConflict" and len(pingone.resources) == 1


async def test_a_refused_create_clears_the_intent(world):
    reconciler, pingone, status, _ = world
    pingone.fail_next["POST"] = ValidationFailed("bad", status=400, code="INVALID_DATA")
    outcome = await reconciler.sync(resource())
    assert outcome.failure.reason == "InvalidSpec" and "refused the resource" in outcome.failure.message
    assert status.patches[-1] == {"pendingCreate": None} and outcome.status.pendingCreate is None


async def test_scope_edit_removal_and_drift(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource())
    rid = first.status.resourceId
    pingone.calls.clear()
    edited = await reconciler.sync(resource(first.status, 2, scopes=[
        {"name": "orders:read", "description": "Read all orders"}, {"name": "orders:write"}]))
    assert [c[0] for c in pingone.writes()] == ["PUT scope"]
    pingone.calls.clear()
    fewer = await reconciler.sync(resource(edited.status, 3, scopes=[{"name": "orders:read"}]))
    assert sorted(c[0] for c in pingone.writes()) == ["DELETE scope", "PUT scope"]
    assert pingone.scope_names(rid) == ["orders:read"] and fewer.status.managedScopes == ["orders:read"]
    pingone.scopes[rid].clear()  # deleted behind our back
    pingone.resources[rid]["audience"] = "https://elsewhere.example.com"
    restored = await reconciler.sync(resource(fewer.status, 3, scopes=[{"name": "orders:read"}]), drift_check=True)
    assert pingone.scope_names(rid) == ["orders:read"]
    assert pingone.resources[rid]["audience"] == "https://orders.example.com"
    assert [e.reason for e in restored.events] == ["DriftCorrected", "ScopesUpdated"]


async def test_adopting_a_built_in_resource_is_refused_without_a_write(world):
    reconciler, pingone, _, _ = world
    openid = pingone.add(name="openid", type="OPENID_CONNECT")
    pingone.calls.clear()
    outcome = await reconciler.sync(resource(adoptResourceId=openid))
    assert outcome.failure.reason == "ProtectedResource" and pingone.writes() == []


async def test_observe_only_reports_scopes_and_never_writes(world):
    reconciler, pingone, _, _ = world
    rid = pingone.add(name="Orders API", audience="https://orders.example.com")
    pingone.calls.clear()
    outcome = await reconciler.sync(resource(adoptResourceId=rid, managementPolicy="ObserveOnly"), drift_check=True)
    assert pingone.writes() == []
    assert outcome.status.driftedFields == ["scopes[orders:read]", "scopes[orders:write]"]


async def test_deletion_deletes_or_orphans(world):
    reconciler, pingone, _, _ = world
    first = await reconciler.sync(resource())
    kept = await reconciler.delete(resource(first.status, deletionPolicy="Orphan"))
    assert [e.reason for e in kept.events] == ["Orphaned"] and first.status.resourceId in pingone.resources
    gone = await reconciler.delete(resource(first.status))
    assert [e.reason for e in gone.events] == ["Deleted"] and not pingone.resources
    again = await reconciler.delete(resource(first.status))
    assert "already gone" in again.events[0].message
