"""kopf's session to the Kubernetes API, with a bounded connection pool; and the operator's own
Kubernetes calls (status intents, Secrets, reads) through it.

kopf's own session has no connection limit: a burst of 1,000 creates opened ~170 TLS connections to
the API server at once (each finalizer patch, status patch and Event its own), and each kept
asyncio's 256 KiB read buffer: ~45 MB of memory that stayed after the burst, and as many TLS
handshakes. A login handler may return its own session (kopf's documented "custom HTTP sessions");
this one is kopf's default login (the kubernetes client's configuration: in-cluster, else
KUBECONFIG) with a limit on the pool, so a burst queues for a connection instead of opening one.

`request` sends the kube adapters' calls with kopf's credentials, on the event loop: the kubernetes
client's blocking calls ran in threads, with a thread hop each way and the GIL handed back and forth
(alternated bursts of 1,000 creates: operator CPU 15.6-18.8 s with threads, 11.6-13.7 s without);
and kopf logs in again on a 401 (a rotated service account token) for these calls as for its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
import kopf
from kopf._cogs.clients import auth, errors

from ..config import NAMESPACE_NAME
from ..kube.client import JSON, KubeApiError
from ..ports import KubernetesUnavailable

# Watch streams hold a connection for as long as they run, so the pool must have room for every
# one of them, or the requests queued behind them would wait forever.
STREAMS_PER_NAMESPACE = 4  # applications and resources, twice over to spare
CLUSTER_STREAMS = 4  # connections (cluster-scoped), CRDs (kopf's discovery), namespaces, the peering
# Patches, Events and reads beside the streams. A burst's syncs queue here for their writes (intent,
# Secret, status), which take 60-95 ms while the API server takes the burst's creates: with 16, the
# syncs waited on this pool and PingOne's budget went unused (bulk of 1,000: calls at 63-82/s while
# the objects arrived, against 90-93/s with 48); each connection costs ~0.3 MB, kept after a burst.
SPARE_CONNECTIONS = 48
# The operator's calls take a moment; one that hangs must not hold a sync's slot for long.
TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10)


def connection_limit(namespaces: Sequence[str]) -> int:
    """The pool's size for an operator watching `namespaces` (none: the whole cluster); 0, no limit,
    when a pattern makes the number of watched namespaces unknown."""
    if any(not NAMESPACE_NAME.match(namespace) for namespace in namespaces):
        return 0
    return STREAMS_PER_NAMESPACE * max(1, len(namespaces)) + CLUSTER_STREAMS + SPARE_CONNECTIONS


@kopf.on.login()
async def login(memo: kopf.Memo, **kwargs: Any) -> kopf.AiohttpSession | None:
    info = kopf.login_via_client(**kwargs)
    if info is None:
        return None
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=memo.get("kube_connection_limit", 0), ssl=info.as_ssl_context()),
        headers=info.as_http_headers(),
        proxy=info.proxy_url,
        trust_env=info.trust_env,
    )
    return kopf.AiohttpSession(aiohttp_session=session, server=info.server, default_namespace=info.default_namespace,
                               priority=info.priority, expiration=info.expiration)


async def request(method: str, resource_path: str, body: dict[str, Any] | None = None,
                  content_type: str = JSON) -> dict[str, Any]:
    """The kube adapters' transport (kube.client.Transport), from any task kopf runs or started."""
    headers = {"Accept": JSON}
    if body is not None:
        headers["Content-Type"] = content_type
    try:
        return await _send(method, resource_path, body, headers)
    except errors.APIError as exc:
        raise KubeApiError(exc.status) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise KubernetesUnavailable(f"Kubernetes API unreachable: {type(exc).__name__}") from None


@auth.authenticated
async def _send(method: str, resource_path: str, body: dict[str, Any] | None, headers: dict[str, str], *,
                context: auth.APIContext) -> dict[str, Any]:
    """`context` is kopf's session, injected by `authenticated`, which logs in again on a 401."""
    url = context.server.rstrip("/") + resource_path
    try:
        async with context.session.request(method, url, json=body, headers=headers, timeout=TIMEOUT) as response:
            await errors.check_response(response)
            return await response.json(content_type=None) or {}
    except RuntimeError:
        if context.session.closed:  # replaced by a new login while this request waited
            raise errors.APISessionClosed("session closed") from None
        raise
