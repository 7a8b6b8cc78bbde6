"""controller/empty_patches: kopf's diff of an empty patch answers without copying the object."""

from __future__ import annotations

import pytest
from kopf._cogs.structs import patches

from pingone_operator.controller import empty_patches


class Uncopyable(dict):
    """A part of the object that fails its test if kopf copies it."""

    def __deepcopy__(self, memo):
        raise AssertionError("the patched object was deep-copied")


@pytest.fixture
def installed(monkeypatch):
    monkeypatch.setattr(patches.Patch, "as_json_patch", patches.Patch.as_json_patch)  # restored afterwards
    empty_patches.install()
    empty_patches.install()  # twice: still one wrapper


def test_an_empty_patch_gives_no_operations_without_a_copy(installed):
    assert patches.Patch().as_json_patch({"metadata": Uncopyable(name="x"), "status": {"a": 1}}) == []


def test_a_patch_with_changes_gives_the_same_operations_as_kopf(installed):
    body = {"metadata": {"name": "x"}, "status": {"a": 1}}
    patch = patches.Patch({"status": {"a": 2}}, fns=[lambda b: b["metadata"].update(labels={"l": "v"})])
    assert patch.as_json_patch(body) == empty_patches._as_json_patch(patch, body) == [
        {"op": "add", "path": "/metadata/labels", "value": {"l": "v"}},
        {"op": "replace", "path": "/status/a", "value": 2},
    ]


def test_kopf_alone_copies_the_object_for_an_empty_patch():
    """What the wrapper saves (if kopf stops copying, the wrapper can go)."""
    with pytest.raises(AssertionError, match="deep-copied"):
        empty_patches._as_json_patch(patches.Patch(), {"metadata": Uncopyable(name="x")})
