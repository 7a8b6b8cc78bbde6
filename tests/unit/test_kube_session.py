"""controller/kube_session: the pool always has room for every watch stream, plus spare; and the kube
adapters' calls go through kopf's credentials (and its re-login on a 401), their failures becoming
KubeApiError or KubernetesUnavailable, never a body."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web
from kopf._cogs.clients import auth
from kopf._cogs.structs import credentials

from pingone_operator.controller.kube_session import (
    CLUSTER_STREAMS,
    SPARE_CONNECTIONS,
    STREAMS_PER_NAMESPACE,
    connection_limit,
    request,
)
from pingone_operator.kube.client import MERGE_PATCH, KubeApiError
from pingone_operator.ports import KubernetesUnavailable


def test_cluster_wide_counts_one_set_of_streams():
    assert connection_limit(()) == STREAMS_PER_NAMESPACE + CLUSTER_STREAMS + SPARE_CONNECTIONS


def test_each_watched_namespace_adds_its_streams():
    ten = [f"team-{i}" for i in range(10)]
    assert connection_limit(ten) - connection_limit(ten[:1]) == 9 * STREAMS_PER_NAMESPACE
    assert connection_limit(ten) - 10 * STREAMS_PER_NAMESPACE - CLUSTER_STREAMS >= SPARE_CONNECTIONS


def test_a_pattern_means_no_limit():
    assert connection_limit(["team-*"]) == 0
    assert connection_limit(["prod", "!prod-old"]) == 0


@pytest.fixture
async def api_server():
    """A stand-in API server: records each request's token, method, content type and body."""
    seen: list[tuple[str, str, str | None, object]] = []

    async def handle(request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        body = await request.json() if request.can_read_body else None
        seen.append((token, request.method, request.headers.get("Content-Type"), body))
        if token != "good":
            return web.json_response({"kind": "Status", "code": 401, "message": "Unauthorized"}, status=401)
        if request.path.endswith("/missing"):
            return web.json_response({"kind": "Status", "code": 404, "message": "secrets \"x\" not found",
                                      "details": {"name": "x"}}, status=404)
        return web.json_response({"metadata": {"name": "x"}, "echo": body})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    await web.SockSite(runner, listening).start()
    yield f"http://127.0.0.1:{listening.getsockname()[1]}", seen
    await runner.cleanup()


async def _vault(server: str, **tokens_by_priority: int) -> credentials.Vault:
    """kopf's credentials, as its login leaves them for the tasks it runs: a token per priority."""
    vault = credentials.Vault()
    await vault.populate({name: credentials.ConnectionInfo(server=server, token=name, priority=priority)
                          for name, priority in tokens_by_priority.items()})
    auth.vault_var.set(vault)
    return vault


async def test_a_call_returns_the_answer_and_sends_the_body_as_given(api_server):
    server, seen = api_server
    vault = await _vault(server, good=1)
    try:
        answer = await request("PATCH", "/api/v1/namespaces/a/secrets/x", {"data": {"k": None}}, MERGE_PATCH)
    finally:
        await vault.close()
    assert answer == {"metadata": {"name": "x"}, "echo": {"data": {"k": None}}}
    assert seen == [("good", "PATCH", MERGE_PATCH, {"data": {"k": None}})]


async def test_a_401_logs_in_again_and_the_call_goes_on_with_the_new_credentials(api_server):
    """kopf tries its credentials by priority; the rejected one is dropped, as for kopf's own calls."""
    server, seen = api_server
    vault = await _vault(server, stale=2, good=1)
    try:
        answer = await request("GET", "/api/v1/namespaces/a/secrets/x")
        again = await request("GET", "/api/v1/namespaces/a/secrets/x")
    finally:
        await vault.close()
    assert answer["metadata"] == again["metadata"] == {"name": "x"}
    assert [token for token, *_ in seen] == ["stale", "good", "good"]


async def test_an_error_status_is_its_code_and_phrase_without_the_body(api_server):
    server, _ = api_server
    vault = await _vault(server, good=1)
    try:
        with pytest.raises(KubeApiError) as raised:
            await request("GET", "/api/v1/namespaces/a/secrets/missing")
    finally:
        await vault.close()
    assert (raised.value.status, raised.value.reason, str(raised.value)) == (404, "Not Found", "HTTP 404 Not Found")


async def test_an_unreachable_api_server_is_kubernetes_unavailable():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    vault = await _vault(f"http://127.0.0.1:{port}", good=1)
    try:
        with pytest.raises(KubernetesUnavailable, match="Kubernetes API unreachable"):
            await request("GET", "/api/v1/namespaces/a/secrets/x")
    finally:
        await vault.close()
