"""Malformed 2xx answers as fault modes: an HTML page, JSON cut short, JSON without `id`."""

from __future__ import annotations

import json

import pytest

from pingone_simulator import FailRule, FaultConfig


async def fail_next(http, **rule) -> None:
    response = await http.post("/_simulator/faults/fail-next", json=rule)
    assert response.status_code == 200, response.text


async def test_html_page_stands_in_for_the_request(http, api, sim, web_app_body):
    await fail_next(http, body="html", method="POST", path_regex="/applications$")
    response = await api.create(web_app_body(name="never-created"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    with pytest.raises(json.JSONDecodeError):
        response.json()
    names = {a["name"] for a in sim.state.list_applications(sim.environment_id)}
    assert "never-created" not in names  # the request never reached PingOne
    assert (await api.create(web_app_body(name="never-created"))).status_code == 201  # one rule, one request


async def test_html_with_another_status(http, api):
    await fail_next(http, body="html", status=502)
    response = await api.list()
    assert response.status_code == 502 and response.headers["Content-Type"].startswith("text/html")


async def test_truncated_json_after_the_change_took_effect(http, api, web_app_body):
    app = await api.create_ok(web_app_body())
    await fail_next(http, body="truncated", method="PUT")
    response = await api.put(app["id"], web_app_body(description="changed"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    full = (await api.get(app["id"])).json()
    assert full["description"] == "changed"  # handled normally
    assert 0 < len(response.content) < len(json.dumps(full).encode())
    assert json.dumps(full).encode().startswith(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_no_id_drops_only_the_top_level_id(http, api, web_app_body):
    app = await api.create_ok(web_app_body())
    await fail_next(http, body="no-id", method="GET", path_regex=f"/applications/{app['id']}$")
    response = await api.get(app["id"])
    assert response.status_code == 200
    body = response.json()
    assert "id" not in body
    assert body == {k: v for k, v in app.items() if k != "id"}
    assert body["environment"]["id"]  # nested ids stay
    assert (await api.get(app["id"])).json()["id"] == app["id"]


async def test_create_with_a_malformed_answer_still_creates(http, api, sim, web_app_body):
    await fail_next(http, body="no-id", method="POST")
    response = await api.create(web_app_body(name="created-anyway"))
    assert response.status_code == 200  # no status given: 200, not the 201 PingOne would send
    assert response.json()["name"] == "created-anyway" and "id" not in response.json()
    assert "created-anyway" in {a["name"] for a in sim.state.list_applications(sim.environment_id)}
    await fail_next(http, body="truncated", status=201, method="POST")
    cut = await api.create(web_app_body(name="second"))
    assert cut.status_code == 201
    second = next(a for a in sim.state.list_applications(sim.environment_id) if a["name"] == "second")
    assert cut.headers["Location"] == second["_links"]["self"]["href"]  # headers survive


async def test_python_api_and_config(sim_factory, connect, web_app_body):
    sim = await sim_factory(faults=FaultConfig(fail_next=[FailRule(method="GET", body="html")]))
    api = connect(sim)
    assert (await api.list()).headers["Content-Type"].startswith("text/html")
    sim.state.fail_next(body="truncated", path_regex="/applications$")
    response = await api.list()
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert (await api.list()).json()["_embedded"]  # back to normal
    sim.state.fail_next(status=503)  # no body: a PingOne error, as before
    assert (await api.list()).json()["code"] == "SERVICE_UNAVAILABLE"


async def test_token_endpoint_can_answer_html(http, sim):
    sim.state.fail_next(body="html", path_regex="/as/token$")
    creds = sim.state.worker
    response = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                               auth=(creds.client_id, creds.client_secret))
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")


async def test_rules_are_described_and_logged(http, api, sim):
    await fail_next(http, body="no-id", count=2)
    rules = (await http.get("/_simulator/faults")).json()["fail_next"]
    assert rules == [{"method": "*", "path_regex": ".*", "status": 200, "count": 2, "body": "no-id"}]
    await http.delete("/_simulator/requests")
    await api.list()
    assert sim.state.requests()[-1]["fault"] == "fail_next:no-id"
    await fail_next(http)
    assert (await http.get("/_simulator/faults")).json()["fail_next"][-1] == \
        {"method": "*", "path_regex": ".*", "status": 500, "count": 1, "body": None}


async def test_unknown_body_kind_is_refused(http, sim):
    assert (await http.post("/_simulator/faults/fail-next", json={"body": "xml"})).status_code == 400
    assert (await http.put("/_simulator/faults", json={"fail_next": [{"body": "xml"}]})).status_code == 400
    with pytest.raises(ValueError):
        sim.state.fail_next(body="xml")
    with pytest.raises(ValueError):
        FailRule(body="xml")
    assert sim.state.describe_faults()["fail_next"] == []
