"""kopf's session to the Kubernetes API, with a bounded connection pool.

kopf's own session has no connection limit: a burst of 1,000 creates opened ~170 TLS connections to
the API server at once (each finalizer patch, status patch and Event its own), and each kept
asyncio's 256 KiB read buffer: ~45 MB of memory that stayed after the burst, and as many TLS
handshakes. A login handler may return its own session (kopf's documented "custom HTTP sessions");
this one is kopf's default login (the kubernetes client's configuration: in-cluster, else
KUBECONFIG) with a limit on the pool, so a burst queues for a connection instead of opening one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
import kopf

from ..config import NAMESPACE_NAME

# Watch streams hold a connection for as long as they run, so the pool must have room for every
# one of them, or the requests queued behind them would wait forever.
STREAMS_PER_NAMESPACE = 4  # applications and resources, twice over to spare
CLUSTER_STREAMS = 4  # connections (cluster-scoped), CRDs (kopf's discovery), namespaces, the peering
SPARE_CONNECTIONS = 16  # patches, Events and reads beside the streams


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
