"""controller/kube_session: the pool always has room for every watch stream, plus spare."""

from __future__ import annotations

from pingone_operator.controller.kube_session import (
    CLUSTER_STREAMS,
    SPARE_CONNECTIONS,
    STREAMS_PER_NAMESPACE,
    connection_limit,
)


def test_cluster_wide_counts_one_set_of_streams():
    assert connection_limit(()) == STREAMS_PER_NAMESPACE + CLUSTER_STREAMS + SPARE_CONNECTIONS


def test_each_watched_namespace_adds_its_streams():
    ten = [f"team-{i}" for i in range(10)]
    assert connection_limit(ten) - connection_limit(ten[:1]) == 9 * STREAMS_PER_NAMESPACE
    assert connection_limit(ten) - 10 * STREAMS_PER_NAMESPACE - CLUSTER_STREAMS >= SPARE_CONNECTIONS


def test_a_pattern_means_no_limit():
    assert connection_limit(["team-*"]) == 0
    assert connection_limit(["prod", "!prod-old"]) == 0
