"""Application secret: read, regenerate (with and without a previous secret), delete previous."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

SECRET_CHARS = re.compile(r"^[A-Za-z0-9._~-]{64,}$")


def ahead(**delta) -> str:
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat()


async def token_status(http, env_id: str, client_id: str, secret: str) -> int:
    response = await http.post(f"/{env_id}/as/token", data={"grant_type": "client_credentials"},
                               auth=(client_id, secret))
    return response.status_code


async def test_read_secret_shape(api, sim, worker_body):
    app = await api.create_ok(worker_body())
    response = await api.get_secret(app["id"])
    assert response.status_code == 200
    body = response.json()
    assert SECRET_CHARS.match(body["secret"])
    assert body["environment"] == {"id": sim.environment_id}
    assert body["_links"]["self"]["href"].endswith(f"/applications/{app['id']}/secret")
    assert body["_links"]["application"]["href"].endswith(f"/applications/{app['id']}")
    assert "previous" not in body


@pytest.mark.parametrize("with_empty_object", [False, True])
async def test_rotate_without_previous_invalidates_old_immediately(http, api, sim, worker_body, with_empty_object):
    app = await api.create_ok(worker_body())
    old = (await api.get_secret(app["id"])).json()["secret"]
    rotated = await api.rotate_secret(app["id"], {} if with_empty_object else None)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and SECRET_CHARS.match(new)
    assert "previous" not in rotated.json()
    assert await token_status(http, sim.environment_id, app["id"], old) == 401
    assert await token_status(http, sim.environment_id, app["id"], new) == 200


async def test_rotate_with_previous_keeps_both_until_delete(http, api, sim, worker_body):
    app = await api.create_ok(worker_body())
    old = (await api.get_secret(app["id"])).json()["secret"]
    expires = ahead(days=7)
    rotated = (await api.rotate_secret(app["id"], {"previous": {"expiresAt": expires}})).json()
    assert rotated["previous"]["secret"] == old
    assert datetime.fromisoformat(rotated["previous"]["expiresAt"].replace("Z", "+00:00")) == \
        datetime.fromisoformat(expires).replace(microsecond=datetime.fromisoformat(expires).microsecond // 1000 * 1000)
    assert (await api.get_secret(app["id"])).json()["previous"]["secret"] == old
    assert await token_status(http, sim.environment_id, app["id"], old) == 200
    assert await token_status(http, sim.environment_id, app["id"], rotated["secret"]) == 200
    deleted = await api.delete_previous_secret(app["id"])
    assert deleted.status_code == 204
    assert "previous" not in (await api.get_secret(app["id"])).json()
    assert await token_status(http, sim.environment_id, app["id"], old) == 401


@pytest.mark.parametrize("previous,code", [
    ({"expiresAt": ahead(seconds=30)}, "OUT_OF_RANGE"),
    ({"expiresAt": ahead(days=31)}, "OUT_OF_RANGE"),
    ({"expiresAt": ahead(days=-1)}, "OUT_OF_RANGE"),
    ({"expiresAt": "tomorrow"}, "INVALID_VALUE"),
    ({"expiresAt": "2030-01-01T00:00:00"}, "INVALID_VALUE"),  # no offset
    ({}, "REQUIRED_VALUE"),
])
async def test_previous_expiry_validation(api, worker_body, previous, code):
    app = await api.create_ok(worker_body())
    response = await api.rotate_secret(app["id"], {"previous": previous})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "INVALID_DATA"
    assert body["details"][0]["code"] == code
    assert body["details"][0]["target"].startswith("previous")


async def test_previous_within_range_edges(api, worker_body):
    app = await api.create_ok(worker_body())
    assert (await api.rotate_secret(app["id"], {"previous": {"expiresAt": ahead(seconds=90)}})).status_code == 200
    assert (await api.rotate_secret(app["id"], {"previous": {"expiresAt": ahead(days=29)}})).status_code == 200


async def test_worker_cannot_read_its_own_secret(api, sim):
    response = await api.get_secret(sim.state.worker.client_id)
    assert response.status_code == 403
    assert response.json()["code"] == "ACCESS_FAILED"


async def test_set_secret_media_type_is_rejected(api, http, worker_body):
    app = await api.create_ok(worker_body())
    response = await http.post(api.path(app["id"], "/secret"), content=b'{"secret":"abcdefgh"}',
                               headers={**api.headers, "Content-Type": "application/vnd.pingidentity.secret+json"})
    assert response.status_code == 400


@pytest.mark.parametrize("method,extra", [("NONE", {}), ("PRIVATE_KEY_JWT", {"jwksUrl": "https://k.example.com/j"})])
async def test_apps_without_secret_auth_still_have_a_secret(api, web_app_body, method, extra):
    """Documented choice: like PingOne's OIDC apps, every app has a secret, unused for these methods."""
    app = await api.create_ok(web_app_body(tokenEndpointAuthMethod=method, **extra))
    assert SECRET_CHARS.match((await api.get_secret(app["id"])).json()["secret"])
    assert (await api.rotate_secret(app["id"])).status_code == 200


async def test_secret_routes_need_a_token(http, api, worker_body):
    app = await api.create_ok(worker_body())
    assert (await http.get(api.path(app["id"], "/secret"))).status_code == 401
    assert (await http.post(api.path(app["id"], "/secret"))).status_code == 401
    assert (await http.delete(api.path(app["id"], "/secret"))).status_code == 401
