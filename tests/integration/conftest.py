"""Fixtures for the PingOne simulator tests: a real server on 127.0.0.1 and httpx clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from pingone_simulator import RunningSimulator, SimulatorConfig, WorkerCredentials, start_simulator

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"


def load_reference(name: str) -> Any:
    return json.loads((REFERENCE_DIR / name).read_text())


@pytest.fixture
def reference():
    """load_reference("seed-request.json") etc."""
    return load_reference


@pytest.fixture
async def sim_factory():
    """Start extra simulators with custom SimulatorConfig fields; all are stopped afterwards."""
    started: list[RunningSimulator] = []

    async def start(**overrides: Any) -> RunningSimulator:
        running = await start_simulator(SimulatorConfig(**overrides))
        started.append(running)
        return running

    yield start
    for running in started:
        await running.stop()


@pytest.fixture
async def sim(sim_factory) -> RunningSimulator:
    return await sim_factory()


@pytest.fixture
async def http(sim: RunningSimulator):
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def token_for(http: httpx.AsyncClient, sim: RunningSimulator):
    """Get an access token with CLIENT_SECRET_BASIC for a worker (default: the seeded one)."""

    async def get(creds: WorkerCredentials | None = None) -> str:
        creds = creds or sim.state.worker
        response = await http.post(f"/{creds.environment_id}/as/token", data={"grant_type": "client_credentials"},
                                   auth=(creds.client_id, creds.client_secret))
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    return get


class Api:
    """Thin management-API client for one environment, authenticated with a bearer token."""

    def __init__(self, http: httpx.AsyncClient, env_id: str, token: str):
        self.http, self.env_id = http, env_id
        self.headers = {"Authorization": f"Bearer {token}"}

    def path(self, app_id: str | None = None, suffix: str = "") -> str:
        base = f"/v1/environments/{self.env_id}/applications"
        return (f"{base}/{app_id}" if app_id else base) + suffix

    async def create(self, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post(self.path(), json=body, headers=self.headers)

    async def list(self, **params: str) -> httpx.Response:
        return await self.http.get(self.path(), params=params, headers=self.headers)

    async def get(self, app_id: str) -> httpx.Response:
        return await self.http.get(self.path(app_id), headers=self.headers)

    async def put(self, app_id: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.put(self.path(app_id), json=body, headers=self.headers)

    async def delete(self, app_id: str) -> httpx.Response:
        return await self.http.delete(self.path(app_id), headers=self.headers)

    async def get_secret(self, app_id: str) -> httpx.Response:
        return await self.http.get(self.path(app_id, "/secret"), headers=self.headers)

    async def rotate_secret(self, app_id: str, body: dict[str, Any] | None = None) -> httpx.Response:
        if body is None:
            return await self.http.post(self.path(app_id, "/secret"),
                                        headers={**self.headers, "Content-Type": "application/json"})
        return await self.http.post(self.path(app_id, "/secret"), json=body, headers=self.headers)

    async def delete_previous_secret(self, app_id: str) -> httpx.Response:
        return await self.http.delete(self.path(app_id, "/secret"), headers=self.headers)

    async def create_ok(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.create(body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
async def api(http: httpx.AsyncClient, sim: RunningSimulator, token_for) -> Api:
    return Api(http, sim.environment_id, await token_for())


@pytest.fixture
async def connect():
    """connect(sim, token=None) -> Api on its own client; default token: the seeded worker's."""
    clients: list[httpx.AsyncClient] = []

    def open_api(sim: RunningSimulator, token: str | None = None) -> Api:
        client = httpx.AsyncClient(base_url=sim.base_url, timeout=10)
        clients.append(client)
        token = token or sim.state.issue_token(sim.environment_id, sim.state.worker.client_id)
        return Api(client, sim.environment_id, token)

    yield open_api
    for client in clients:
        await client.aclose()


@pytest.fixture
def web_app_body():
    """A minimal valid WEB_APP body; pass overrides as keyword arguments."""

    def make(**overrides: Any) -> dict[str, Any]:
        body = {"name": "web-app", "enabled": True, "type": "WEB_APP", "protocol": "OPENID_CONNECT",
                "grantTypes": ["AUTHORIZATION_CODE"], "responseTypes": ["CODE"],
                "redirectUris": ["https://app.example.com/callback"],
                "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"}
        body.update(overrides)
        return {k: v for k, v in body.items() if v is not None}

    return make


@pytest.fixture
def worker_body():
    def make(**overrides: Any) -> dict[str, Any]:
        body = {"name": "worker-app", "enabled": True, "type": "WORKER", "protocol": "OPENID_CONNECT",
                "grantTypes": ["CLIENT_CREDENTIALS"], "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC"}
        body.update(overrides)
        return {k: v for k, v in body.items() if v is not None}

    return make


@pytest.fixture
async def rest(http: httpx.AsyncClient, sim: RunningSimulator):
    """The seeded worker on the seeded environment (tests/integration/sim_api.py)."""
    from tests.integration.sim_api import Rest

    return Rest(http, sim.environment_id, sim.state.issue_token(sim.environment_id, sim.state.worker.client_id))
