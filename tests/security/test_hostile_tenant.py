"""What a user who may edit PingOneApplications in team-b can do to anyone else: nothing.

Each attack runs as that user (the built-in `edit` role in team-b, with the chart's aggregation),
and each checks that it was refused with a clear condition or apply-time error, that nothing was
read, changed or deleted in PingOne, and that no secret of another application reached anything
the user can read.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import uuid

import httpx
import pytest

from tests.e2e.helpers import SEED, Kube, application, condition, create_app, ready, wait_for

pytestmark = pytest.mark.e2e

WORKER = {"name": "Team-B-Worker", "enabled": True, "type": "WORKER", "protocol": "OPENID_CONNECT",
          "grantTypes": ["CLIENT_CREDENTIALS"], "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"}


def refused_with(kube, name: str, reason: str) -> dict:
    return wait_for(lambda: condition(o := kube.get("p1app", name)).get("reason") == reason and o,
                    what=f"{name}: Ready=False {reason}")


def touched(admin, app_id: str) -> list[dict]:
    """Every request PingOne got that names the application (reads included)."""
    return [r for r in admin.requests(path_contains=app_id)]


def console_app(simulator, name: str) -> dict:
    """An application made outside the cluster (the console, Terraform...)."""
    return asyncio.run(create_app(simulator, {**SEED, "name": name}))


@pytest.mark.parametrize("policy", ["ObserveOnly", "Manage"])
def test_adopting_an_application_made_outside_is_refused(simulator, admin, start_operator, team_b, policy):
    start_operator()
    victim = console_app(simulator, "Console-App")
    before = admin.app(victim["id"])
    admin.clear_requests()
    team_b.apply(application("grab", {**SEED, "name": "Console-App"}, adoptApplicationId=victim["id"],
                             managementPolicy=policy))
    obj = refused_with(team_b, "grab", "AdoptionNotAllowed")
    assert condition(obj)["status"] == "False" and "adopt" in condition(obj)["message"]
    assert team_b.get("secret", "grab-oidc") is None
    assert touched(admin, victim["id"]) == []  # not even read
    team_b.delete("p1app", "grab", wait=True)
    assert admin.app(victim["id"]) == before  # not changed, not deleted


def test_adoption_where_allowed_never_reaches_the_operators_own_worker(simulator, admin, start_operator, team_b):
    start_operator(ADOPTION_ALLOWED_NAMESPACES=team_b.ns)
    admin.clear_requests()
    team_b.apply(application("worker", WORKER, adoptApplicationId=admin.worker_id, managementPolicy="ObserveOnly"))
    obj = refused_with(team_b, "worker", "ProtectedApplication")
    assert admin.worker_id in condition(obj)["message"]
    assert team_b.get("secret", "worker-oidc") is None
    assert touched(admin, admin.worker_id) == []

    # Allowed adoption works, and an adopted application outlives its resource by default.
    mine = console_app(simulator, "Team-B-Legacy")
    team_b.apply(application("legacy", {**SEED, "name": "Team-B-Legacy"}, adoptApplicationId=mine["id"]))
    wait_for(lambda: ready(team_b, "legacy"), what="allowed adoption Ready")
    team_b.delete("p1app", "legacy", wait=True)
    assert admin.app(mine["id"]) is not None


def test_the_default_connection_refuses_environments_it_does_not_allow(admin, start_operator, team_b):
    start_operator()
    other = admin.http.post("/environments", json={}).raise_for_status().json()["id"]
    console = admin.http.post(f"/environments/{other}/workers", json={}).raise_for_status().json()
    admin.clear_requests()
    team_b.apply(application("elsewhere", environmentId=other))
    obj = refused_with(team_b, "elsewhere", "ConnectionDenied")
    assert other in condition(obj)["message"]
    assert admin.requests(path_contains=other) == []
    assert console["clientId"]  # the environment is real: only the allow-list stood in the way


def test_switching_connection_or_environment_after_creation_is_refused_at_apply(admin, start_operator, team_b):
    start_operator()
    team_b.apply(application("fixed"))
    wait_for(lambda: ready(team_b, "fixed"), what="Ready")
    moved = team_b.apply(application("fixed", connectionRef={"name": "someone-elses"}), check=False)
    assert moved.returncode != 0 and "connectionRef cannot change" in moved.stderr
    moved = team_b.apply(application("fixed", environmentId=str(uuid.uuid4())), check=False)
    assert moved.returncode != 0 and "environmentId is immutable" in moved.stderr
    # ...and a tenant cannot make a connection of its own.
    can = team_b.kubectl("auth", "can-i", "create", "pingoneconnections", check=False).stdout.strip()
    assert can == "no"


@pytest.mark.parametrize("uri, accepted", [
    ("http://localhost.attacker.example/cb", False),
    ("http://127.0.0.1.attacker.example/cb", False),
    ("http://localhost@attacker.example/cb", False),
    ("http://localhost:3000/cb", True),
    ("http://127.0.0.1/cb", True),
    ("http://[::1]:8080/cb", True),
])
def test_http_redirect_uris_only_for_the_exact_local_hosts(team_b, uri, accepted):
    result = team_b.apply(application("redirect", redirectUris=[uri]), "--dry-run=server", check=False)
    assert (result.returncode == 0) is accepted, result.stderr
    if not accepted:
        assert "http is allowed only for the hosts localhost, 127.0.0.1 and [::1]" in result.stderr


def test_resync_spam_costs_at_most_one_check_per_interval(admin, start_operator, team_b):
    start_operator(DRIFT_INTERVAL_SECONDS="3600")  # only resyncs read the application here
    team_b.apply(application("noisy"))
    app_id = wait_for(lambda: ready(team_b, "noisy"), what="Ready")["status"]["applicationId"]
    time.sleep(2)
    admin.clear_requests()
    for n in range(8):
        team_b.kubectl("annotate", "p1app", "noisy", f"ops.pingone-operator.dev/resync=spam-{n}", "--overwrite")
    time.sleep(3)
    reads = [r for r in admin.requests("GET", path_contains=app_id) if r["path"].endswith(app_id)]
    assert 1 <= len(reads) <= 2  # one resync (and at most one drift tick, spread over the hour)


def test_one_namespaces_burst_does_not_starve_anothers_single_create(control_plane, admin, start_operator, team_a,
                                                                    team_b):
    start_operator(PINGONE_REQUESTS_PER_SECOND="4")
    burst = {"apiVersion": "v1", "kind": "List", "items": [
        {**application(f"bulk-{n}", name=f"Team-A-Bulk-{n}"), "metadata": {"name": f"bulk-{n}", "namespace": team_a}}
        for n in range(30)]}
    control_plane.kubectl("apply", "-f", "-", input=json.dumps(burst))
    time.sleep(1)
    team_b.apply(application("single", name="Team-B-Single"))
    wait_for(lambda: ready(team_b, "single"), timeout=90, what="team-b's single create")
    team_a_kube = Kube(control_plane, team_a)
    done = sum(1 for n in range(30) if ready(team_a_kube, f"bulk-{n}"))
    assert done <= 15, f"team-b waited for {done} of team-a's 30 creates"


def test_no_secret_of_another_team_reaches_anything_team_b_can_read(control_plane, admin, start_operator, team_a,
                                                                   team_b):
    operator = start_operator()
    team_a_kube = Kube(control_plane, team_a)
    team_a_kube.apply(application("private", name="Team-A-Private"))
    app_id = wait_for(lambda: ready(team_a_kube, "private"), what="team-a Ready")["status"]["applicationId"]
    team_a_secret = admin.secret(app_id)["secret"]
    # team-b tries the same name and an adoption of team-a's application
    team_b.apply(application("copycat", name="Team-A-Private"))
    team_b.apply(application("thief", name="Thief", adoptApplicationId=app_id))
    refused_with(team_b, "thief", "AdoptionNotAllowed")
    refused_with(team_b, "copycat", "NameConflict")
    assert team_b.kubectl("get", "secret", "-n", team_a, check=False).returncode != 0  # RBAC says no
    readable = [team_b.kubectl(*args).stdout for args in (
        ("get", "p1app", "-o", "json"), ("get", "events", "-o", "json"), ("get", "secrets", "-o", "json"))]
    assert len(json.loads(readable[0])["items"]) == 2  # team-b reads its own namespace...
    for text in (*readable, operator.logs()):
        assert team_a_secret not in text  # ...and nothing of team-a's
    assert admin.app(app_id)["name"] == "Team-A-Private"


def _connection(control_plane, simulator, admin, namespace: str, operator_namespace: str) -> str:
    """A PingOneConnection for `namespace`, its credentials in the operator's namespace."""
    secret = secrets.token_urlsafe(48)
    worker = admin.http.post(f"/environments/{admin.env}/workers", json={
        "clientSecret": secret, "authMethod": "CLIENT_SECRET_BASIC"}).raise_for_status().json()
    name = f"conn-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl("create", "secret", "generic", name, "-n", operator_namespace,
                          f"--from-literal=client-id={worker['clientId']}", f"--from-literal=client-secret={secret}")
    control_plane.kubectl("apply", "-f", "-", input=json.dumps({
        "apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneConnection", "metadata": {"name": name},
        "spec": {"apiUrl": simulator.api_url, "authUrl": simulator.auth_url, "environmentId": admin.env,
                 "tokenAuthMethod": "CLIENT_SECRET_BASIC", "credentialsSecret": {"name": name},
                 "allowedNamespaces": [namespace]}}))
    return name


def test_deleting_a_namespace_completes_in_seconds_when_its_connection_is_gone(
        control_plane, simulator, admin, start_operator, team_a, team_b):
    start_operator(OPERATOR_NAMESPACE=team_a)
    connection = _connection(control_plane, simulator, admin, team_b.ns, team_a)
    team_b.apply(application("kept", connectionRef={"name": connection}, deletionPolicy="Orphan"))
    app_id = wait_for(lambda: ready(team_b, "kept"), what="Ready through the connection")["status"]["applicationId"]
    team_b.apply(application("never-made", name="Never-Made", connectionRef={"name": "no-such-connection"}))
    refused_with(team_b, "never-made", "ConnectionNotFound")
    control_plane.kubectl("delete", "pingoneconnection", connection)

    started = time.monotonic()
    control_plane.kubectl("delete", "namespace", team_b.ns, "--wait=false")
    wait_for(lambda: control_plane.kubectl("get", "namespace", team_b.ns, check=False).returncode != 0,
             timeout=60, what="team-b's namespace to be gone")
    assert time.monotonic() - started < 60
    assert admin.app(app_id) is not None  # Orphan: left in PingOne


def test_a_deletion_that_cannot_reach_pingone_is_abandoned_visibly(control_plane, simulator, admin, start_operator,
                                                                  team_a, team_b):
    operator = start_operator(OPERATOR_NAMESPACE=team_a, DELETE_GIVE_UP_SECONDS="5")
    connection = _connection(control_plane, simulator, admin, team_b.ns, team_a)
    team_b.apply(application("doomed", connectionRef={"name": connection}))
    app_id = wait_for(lambda: ready(team_b, "doomed"), what="Ready")["status"]["applicationId"]
    control_plane.kubectl("delete", "pingoneconnection", connection)
    team_b.delete("p1app", "doomed")
    wait_for(lambda: team_b.get("p1app", "doomed") is None, timeout=90, what="the resource to go")
    assert "DeleteAbandoned" in Kube(control_plane, team_b.ns).event_reasons("doomed")
    assert "abandoned" in operator.logs()
    metrics = httpx.get(operator.metrics_url, timeout=10).text
    assert "pingone_operator_deletions_abandoned_total 1.0" in metrics
    assert admin.app(app_id) is not None


def test_a_tenant_cannot_give_its_worker_a_role_the_administrator_did_not_allow(admin, start_operator, team_b):
    start_operator()  # no allowedRoles: the default
    admin.clear_requests()
    team_b.apply(application("escalate", {**WORKER, "name": "Escalate", "roleAssignments": [
        {"role": "Environment Admin", "scope": {"type": "ENVIRONMENT", "id": admin.env}}]}))
    obj = refused_with(team_b, "escalate", "RoleNotAllowed")
    assert "Environment Admin" in condition(obj)["message"]
    app_id = obj["status"]["applicationId"]
    assert admin.role_assignments(app_id) == []  # created without the operator's roles, and given none
    assert not [r for r in admin.requests("POST", "/roleAssignments")]


def test_a_tenant_cannot_grant_itself_another_teams_api(control_plane, admin, start_operator, team_a, team_b):
    start_operator()
    api = {"apiVersion": "pingone-operator.dev/v1alpha1", "kind": "PingOneResource",
           "metadata": {"name": "orders-api", "namespace": team_a},
           "spec": {"name": "Team-A Orders API", "scopes": [{"name": "orders:admin"}]}}
    control_plane.kubectl("apply", "-f", "-", input=json.dumps(api))
    wait_for(lambda: condition(Kube(control_plane, team_a).get("p1res", "orders-api")).get("status") == "True",
             what="team-a's API Ready")
    client = {**WORKER, "name": "Team-B-Client", "type": "SERVICE",
              "grants": [{"resource": "Team-A Orders API", "scopes": ["orders:admin"]}]}
    team_b.apply(application("borrower", client))
    obj = refused_with(team_b, "borrower", "GrantNotAllowed")
    assert team_a in condition(obj)["message"]
    assert not obj["status"].get("applicationId")  # refused before anything was created

    api["spec"]["grantNamespaces"] = [team_b.ns]  # team-a says yes
    control_plane.kubectl("apply", "-f", "-", input=json.dumps(api))
    wait_for(lambda: ready(team_b, "borrower"), timeout=150, what="allowed: Ready")
