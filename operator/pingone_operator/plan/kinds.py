"""The kinds the operator reconciles, as the generic parts (identity, intents, tenancy, deletion,
status writes) need to tell them apart: names, PingOne's word for them, and where their ids are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import KIND, PLURAL, RESOURCE_KIND, RESOURCE_PLURAL
from ..api import PingOneApplicationSpec, PingOneApplicationStatus
from ..api.resource import PingOneResourceSpec, PingOneResourceStatus


@dataclass(frozen=True)
class Kind:
    name: str  # the Kubernetes kind
    plural: str
    noun: str  # what PingOne calls it, in messages
    id_field: str  # the status field with PingOne's id
    adopt_field: str  # the spec field naming an existing object to take over
    spec: type[Any]
    status: type[Any]


APPLICATION = Kind(KIND, PLURAL, "application", "applicationId", "adoptApplicationId", PingOneApplicationSpec,
                   PingOneApplicationStatus)
PINGONE_RESOURCE = Kind(RESOURCE_KIND, RESOURCE_PLURAL, "resource", "resourceId", "adoptResourceId",
                        PingOneResourceSpec, PingOneResourceStatus)
KINDS = {kind.name: kind for kind in (APPLICATION, PINGONE_RESOURCE)}
