"""A connection's credentials Secret is read once for the syncs of a burst, and again after a few
seconds, so that a rotated Secret takes effect without a Kubernetes read per sync."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from pingone_operator import connections
from pingone_operator.connections import Connections

ENV = "11111111-2222-3333-4444-555555555555"
CONNECTION = {"environmentId": ENV, "credentialsSecret": {"name": "team-worker"}, "allowedNamespaces": ["team"]}


class Reader:
    """The cluster side: a Secret whose reads are counted, and which answers slowly."""

    def __init__(self) -> None:
        self.reads = 0
        self.data = {"client-id": "worker-1", "client-secret": "s" * 64}

    async def credentials(self, secret_name: str) -> dict[str, str] | None:
        self.reads += 1
        await asyncio.sleep(0.01)  # a read in flight while other syncs ask
        return dict(self.data) if secret_name == "team-worker" else None

    async def namespace_labels(self, namespace: str) -> dict[str, str]:
        return {}


def made_with(settings):  # noqa: ANN001, ANN201
    async def sign_in() -> None:
        return None

    async def aclose() -> None:
        return None

    return SimpleNamespace(settings=settings, pingone=SimpleNamespace(sign_in=sign_in, aclose=aclose))


def connections_with(reader: Reader) -> Connections:
    return Connections(default=None, default_policy=None, reader=reader, make_reconciler=made_with)  # type: ignore[arg-type]


async def test_the_syncs_of_a_burst_share_one_read_of_the_credentials():
    reader = Reader()
    conns = connections_with(reader)
    failures = await asyncio.gather(*(conns.verify("team", CONNECTION) for _ in range(50)))
    assert failures == [None] * 50
    assert reader.reads == 1


async def test_a_rotated_secret_is_read_again_after_the_reuse_time(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(connections, "monotonic", lambda: now[0])  # time passes only when the test says
    reader = Reader()
    conns = connections_with(reader)
    spec = connections.PingOneConnectionSpec.model_validate(CONNECTION)

    first = await conns._reconciler("team", spec)
    reader.data["client-secret"] = "r" * 64
    assert await conns._reconciler("team", spec) is first  # within the reuse time: the read before
    assert reader.reads == 1

    now[0] += connections.CREDENTIALS_REUSE_SECONDS
    rotated = await conns._reconciler("team", spec)
    assert reader.reads == 2
    assert rotated is not first
    assert rotated.settings.client_secret.value == "r" * 64
