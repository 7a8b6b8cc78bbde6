"""controller/lean_bodies: other clients' bookkeeping is dropped from our kinds' bodies, and only there."""

from __future__ import annotations

import asyncio
import copy
import json

from pingone_operator import GROUP
from pingone_operator.controller.lean_bodies import LAST_APPLIED, lean, leaner


def event(api_version: str) -> dict:
    return {"type": "MODIFIED", "object": {
        "apiVersion": api_version, "kind": "Thing",
        "metadata": {"name": "a", "managedFields": [{"manager": "kubectl"}],
                     "annotations": {LAST_APPLIED: "{...}", "keep": "me"}, "labels": {"x": "y"}},
        "spec": {"name": "a"}, "status": {"managedFields": ["name"]}}}


def test_our_kinds_lose_managed_fields_and_the_last_applied_copy_and_nothing_else():
    raw = lean(event(f"{GROUP}/v1alpha1"))
    assert "managedFields" not in raw["object"]["metadata"]
    assert raw["object"]["metadata"]["annotations"] == {"keep": "me"}
    assert raw["object"]["metadata"]["labels"] == {"x": "y"}
    assert raw["object"]["status"] == {"managedFields": ["name"]}  # our own status field stays


def test_other_kinds_and_bookmarks_pass_untouched():
    foreign = event("apiextensions.k8s.io/v1")
    assert lean(copy.deepcopy(foreign)) == foreign
    assert lean("bookmark") == "bookmark"
    assert lean({"type": "ADDED"}) == {"type": "ADDED"}


def test_the_wrapped_watch_yields_lean_events_with_its_arguments_passed_through():
    seen = {}

    async def watch(**kwargs):
        seen.update(kwargs)
        yield event(f"{GROUP}/v1alpha1")

    async def collect():
        return [e async for e in leaner(watch)(namespace="ns", resource="r")]

    events = asyncio.run(collect())
    assert seen == {"namespace": "ns", "resource": "r"}
    assert "managedFields" not in events[0]["object"]["metadata"]


def test_equal_keys_and_short_values_of_two_parsed_bodies_become_one_string():
    text = json.dumps(event(f"{GROUP}/v1alpha1"))
    before = [json.loads(text)["object"]["metadata"] for _ in range(2)]
    assert next(iter(before[0])) is not next(iter(before[1]))  # as parsed: each body its own strings
    a, b = (lean(json.loads(text))["object"]["metadata"] for _ in range(2))
    assert a == b
    assert next(iter(a)) is next(iter(b))  # the key "name"
    assert a["annotations"]["keep"] is b["annotations"]["keep"]
