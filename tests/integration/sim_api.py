"""Helpers for the simulator's catalogue tests: a client for any path of one environment, and a
PingOne error-body assertion."""

from __future__ import annotations

from typing import Any

import httpx


class Rest:
    """Any management path of one environment, e.g. `await rest.get("/resources")`; `ok` asserts the status."""

    def __init__(self, http: httpx.AsyncClient, env_id: str, token: str):
        self.http, self.env_id = http, env_id
        self.headers = {"Authorization": f"Bearer {token}"}

    def url(self, suffix: str) -> str:
        return f"/v1/environments/{self.env_id}{suffix}"

    async def get(self, suffix: str) -> httpx.Response:
        return await self.http.get(self.url(suffix), headers=self.headers)

    async def post(self, suffix: str, body: Any) -> httpx.Response:
        return await self.http.post(self.url(suffix), json=body, headers=self.headers)

    async def put(self, suffix: str, body: Any) -> httpx.Response:
        return await self.http.put(self.url(suffix), json=body, headers=self.headers)

    async def delete(self, suffix: str) -> httpx.Response:
        return await self.http.delete(self.url(suffix), headers=self.headers)

    async def ok(self, method: str, suffix: str, body: Any = None, status: int | None = None) -> Any:
        response = await getattr(self, method)(suffix, *([body] if method in ("post", "put") else []))
        expected = status or {"post": 201, "delete": 204}.get(method, 200)
        assert response.status_code == expected, response.text
        return response.json() if response.content else None

    async def items(self, suffix: str, key: str) -> list[dict[str, Any]]:
        return (await self.ok("get", suffix))["_embedded"][key]

    async def resource(self, name: str) -> dict[str, Any]:
        return next(r for r in await self.items("/resources", "resources") if r["name"] == name)

    async def scope_ids(self, resource_id: str) -> dict[str, str]:
        """Scope name -> ID for a resource."""
        return {s["name"]: s["id"] for s in await self.items(f"/resources/{resource_id}/scopes", "scopes")}


def assert_p1_error(response: httpx.Response, status: int, code: str | None = None, target: str | None = None) -> dict:
    """A PingOne error body with this status, top-level code and (when given) a detail for `target`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert {"id", "code", "message"} <= set(body), body
    if code is not None:
        assert body["code"] == code, body
    if target is not None:
        assert target in [d.get("target") for d in body.get("details", [])], body
    return body
