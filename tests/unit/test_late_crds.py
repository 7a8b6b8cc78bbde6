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


# A kind whose CRD event kopf never processed (missed in a re-list) is served on a later rescan.

class Stop(Exception):
    pass


def registry_and_insights():
    import kopf
    from kopf._cogs.structs import references
    from kopf._core.intents import registries

    registry = registries.OperatorRegistry()

    async def handler(**_):
        pass

    kopf.on.create("pingone-operator.dev", "v1alpha1", "pingoneresources", registry=registry)(handler)
    kopf.on.create("example.com", "v1", "widgets", registry=registry)(handler)  # another operator's kind
    insights = references.Insights()
    insights.ready_resources.set()
    return registry, insights


def resource(plural):
    from kopf._cogs.structs import references
    return references.Resource("pingone-operator.dev", "v1alpha1", plural, namespaced=True,
                               verbs=frozenset({"list", "watch", "patch", "get"}), subresources=frozenset({"status"}))


def rescan(registry, insights, discovery_answers, monkeypatch, rounds):
    """Run the rescans for `rounds` sleeps while discovery answers as given (an exception is raised)."""
    answers = iter(discovery_answers)
    scans, revisions = [], []

    async def scan_resources(*, groups, settings, logger):
        assert groups == {"pingone-operator.dev"}
        scans.append(len(scans))
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def sleep(seconds):
        if len(revisions_seen) == rounds:
            raise Stop
        revisions_seen.append(seconds)

    async def main():
        async def count_revisions():
            async with insights.revised:
                while True:
                    await insights.revised.wait()
                    revisions.append(set(insights.watched_resources))

        counter = asyncio.create_task(count_revisions())
        await asyncio.sleep(0)
        try:
            await late_crds.rescan_while_unresolved(settings=None, registry=registry, insights=insights,
                                                    interval=7, sleep=sleep)
        except Stop:
            pass
        await asyncio.sleep(0)
        counter.cancel()

    revisions_seen = []
    monkeypatch.setattr(late_crds.scanning, "scan_resources", scan_resources)
    asyncio.run(main())
    return scans, revisions, revisions_seen


def test_an_unserved_kind_is_served_once_discovery_lists_it(monkeypatch):
    registry, insights = registry_and_insights()
    assert [(s.group, s.any_name) for s in late_crds.unresolved(registry, insights)] == [
        ("pingone-operator.dev", "pingoneresources")]
    served = resource("pingoneresources")
    scans, revisions, sleeps = rescan(registry, insights, [[], [served]], monkeypatch, rounds=4)
    assert served in insights.watched_resources  # kopf's orchestrator starts its watch streams from here
    assert revisions == [{served}]  # told once, when it appeared
    assert scans == [0, 1] and sleeps == [7] * 4  # nothing read once every kind is served
    assert late_crds.unresolved(registry, insights) == []


def test_a_failed_rescan_is_tried_again(monkeypatch):
    registry, insights = registry_and_insights()
    served = resource("pingoneresources")
    scans, revisions, _ = rescan(registry, insights, [RuntimeError("API down"), [served]], monkeypatch, rounds=3)
    assert len(scans) == 2 and revisions == [{served}]


def test_install_wraps_kopfs_resource_observer_once(monkeypatch):
    from kopf._core.reactor import observation

    observed = []

    async def original(*, settings, registry, insights):
        observed.append(insights)

    monkeypatch.setattr(observation, "resource_observer", original)
    late_crds.install()
    wrapped = observation.resource_observer
    late_crds.install()
    assert wrapped is not original and observation.resource_observer is wrapped
    registry, insights = registry_and_insights()
    asyncio.run(wrapped(settings=None, registry=registry, insights=insights))  # the rescans end with it
    assert observed == [insights]
