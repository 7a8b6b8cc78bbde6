"""A CRD installed after start-up is served even when discovery lags its last event (late_crds)."""

import asyncio
from types import SimpleNamespace

from pingone_operator.controller import late_crds

CRD = {
    "metadata": {"name": "pingoneresources.pingone-operator.dev"},
    "spec": {"group": "pingone-operator.dev", "names": {"plural": "pingoneresources"},
             "versions": [{"name": "v1alpha1", "served": True}, {"name": "v0", "served": False}]},
    "status": {"conditions": [{"type": "Established", "status": "True"}]},
}
SERVED = SimpleNamespace(group="pingone-operator.dev", version="v1alpha1", plural="pingoneresources")


def run(event, discovery_answers, monkeypatch):
    """Process one CRD event while discovery answers as given, one answer per scan."""
    answers = iter(discovery_answers)
    rescans, sleeps = [], []

    async def scan_resources(*, groups, settings, logger):
        assert groups == {"pingone-operator.dev"}
        return next(answers)

    async def kopf_rescan(**kwargs):
        rescans.append(kwargs["raw_event"]["type"])

    async def sleep(seconds):
        sleeps.append(seconds)

    monkeypatch.setattr(late_crds.scanning, "scan_resources", scan_resources)
    process = late_crds.retrying(kopf_rescan, delays=(1, 2, 4), sleep=sleep)
    asyncio.run(process(raw_event=event, settings=None, insights=None))
    return rescans, sleeps


def test_an_established_crd_missing_from_discovery_is_rescanned_until_it_appears(monkeypatch):
    rescans, sleeps = run({"type": "MODIFIED", "object": CRD}, [[], [], [SERVED]], monkeypatch)
    assert rescans == ["MODIFIED"] * 3
    assert sleeps == [1, 2]


def test_a_crd_already_in_discovery_is_scanned_once(monkeypatch):
    rescans, sleeps = run({"type": "MODIFIED", "object": CRD}, [[SERVED]], monkeypatch)
    assert rescans == ["MODIFIED"] and sleeps == []


def test_the_retries_end_after_the_last_delay(monkeypatch):
    rescans, sleeps = run({"type": "MODIFIED", "object": CRD}, [[]] * 3, monkeypatch)
    assert rescans == ["MODIFIED"] * 4 and sleeps == [1, 2, 4]


def test_crds_not_yet_established_deleted_or_listed_are_not_retried(monkeypatch):
    pending = {**CRD, "status": {"conditions": [{"type": "NamesAccepted", "status": "True"}]}}
    for event in ({"type": "ADDED", "object": pending}, {"type": "DELETED", "object": CRD},
                  {"type": None, "object": CRD}):
        rescans, sleeps = run(event, [], monkeypatch)
        assert rescans == [event["type"]] and sleeps == []


def test_other_operators_crds_are_left_to_kopf(monkeypatch):
    other = {**CRD, "spec": {**CRD["spec"], "group": "example.com"}}
    rescans, sleeps = run({"type": "MODIFIED", "object": other}, [], monkeypatch)
    assert rescans == ["MODIFIED"] and sleeps == []


def test_install_wraps_kopfs_processor_once(monkeypatch):
    from kopf._core.reactor import observation

    async def original(**kwargs):
        pass

    monkeypatch.setattr(observation, "process_discovered_resource_event", original)
    late_crds.install()
    wrapped = observation.process_discovered_resource_event
    late_crds.install()
    assert wrapped is not original and wrapped.retries_late_crds
    assert observation.process_discovered_resource_event is wrapped
