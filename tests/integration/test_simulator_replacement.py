"""PUT is a full replacement, for fields set through the API and for fields set elsewhere."""

from __future__ import annotations

import pytest

REPLAY = "additionalRefreshTokenReplayProtectionEnabled"
# Settings people change in the console, outside Git (pingone-pitfalls.md §2).
CONSOLE_SETTINGS = {
    "corsSettings": {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://app.example.com"]},
    "signing": {"keyRotationPolicy": {"id": "krp-1"}},
    "icon": {"id": "icon-1", "href": "https://app.example.com/icon.png"},
    "loginPageUrl": "https://app.example.com/login",
    "hiddenFromAppPortal": True,
}


@pytest.mark.parametrize("how", ["post", "drift"])
async def test_put_without_them_removes_settings_set_elsewhere(api, sim, web_app_body, how):
    if how == "post":
        app = await api.create_ok(web_app_body(**CONSOLE_SETTINGS))
    else:  # changed in the console after the operator created the app
        app = await api.create_ok(web_app_body())
        sim.state.mutate_application(sim.environment_id, app["id"], CONSOLE_SETTINGS)
    assert set(CONSOLE_SETTINGS) <= set((await api.get(app["id"])).json())
    updated = await api.put(app["id"], web_app_body())
    assert updated.status_code == 200, updated.text
    for body in (updated.json(), (await api.get(app["id"])).json()):
        assert not set(CONSOLE_SETTINGS) & set(body), body


async def test_put_removes_mobile_settings(api, web_app_body):
    body = web_app_body(type="NATIVE_APP", mobile={"passcodeRefreshDuration": {"duration": 30, "timeUnit": "SECONDS"}})
    app = await api.create_ok(body)
    assert app["mobile"]
    updated = await api.put(app["id"], {k: v for k, v in body.items() if k != "mobile"})
    assert updated.status_code == 200, updated.text
    assert "mobile" not in updated.json() and "mobile" not in (await api.get(app["id"])).json()


async def test_put_removes_the_access_group_but_a_worker_keeps_its_role(api, sim, worker_body, web_app_body):
    group = {"type": "ANY_GROUP", "groups": [{"id": "g1"}]}
    worker = await api.create_ok(worker_body(accessControl={"group": group}))
    assert worker["accessControl"] == {"group": group, "role": {"type": "ADMIN_USERS_ONLY"}}
    updated = (await api.put(worker["id"], worker_body())).json()
    assert updated["accessControl"] == {"role": {"type": "ADMIN_USERS_ONLY"}}
    web = await api.create_ok(web_app_body())
    sim.state.mutate_application(sim.environment_id, web["id"], {"accessControl": {"group": group}})
    assert "accessControl" not in (await api.put(web["id"], web_app_body())).json()


# -- additionalRefreshTokenReplayProtectionEnabled -----------------------------------------

@pytest.mark.parametrize("sent,stored", [("omitted", True), (None, False), (False, False), (True, True)])
async def test_replay_protection_on_create(api, web_app_body, sent, stored):
    body = web_app_body()
    if sent != "omitted":
        body[REPLAY] = sent  # web_app_body drops None overrides, so set it here
    created = await api.create_ok(body)
    assert created[REPLAY] is stored
    assert (await api.get(created["id"])).json()[REPLAY] is stored
    listed = (await api.list()).json()["_embedded"]["applications"]
    assert next(a for a in listed if a["id"] == created["id"])[REPLAY] is stored


@pytest.mark.parametrize("sent,stored", [("omitted", False), (None, False), (False, False), (True, True)])
async def test_replay_protection_on_update(api, web_app_body, sent, stored):
    app = await api.create_ok(web_app_body(**{REPLAY: True}))
    body = web_app_body()
    if sent != "omitted":
        body[REPLAY] = sent
    updated = await api.put(app["id"], body)
    assert updated.status_code == 200, updated.text
    assert updated.json()[REPLAY] is stored
    assert (await api.get(app["id"])).json()[REPLAY] is stored


async def test_replay_protection_is_returned_for_every_kind_of_app(api, sim, worker_body):
    worker = await api.create_ok(worker_body())
    assert worker[REPLAY] is True
    assert sim.state.get_application(sim.environment_id, sim.state.worker.client_id)[REPLAY] is True
    assert (await api.put(worker["id"], worker_body())).json()[REPLAY] is False
