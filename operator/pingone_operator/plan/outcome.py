"""What a sync is about and what it ends with: plain data passed between plan and reconciler."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .kinds import APPLICATION, Kind


@dataclass
class Resource:  # status is replaced as the sync writes identity and intents
    namespace: str
    name: str
    uid: str
    generation: int
    spec: Any  # kind.spec
    status: Any  # kind.status
    kind: Kind = APPLICATION


@dataclass(frozen=True)
class Event:
    type: Literal["Normal", "Warning"]
    reason: str
    message: str


@dataclass(frozen=True)
class Failure:
    reason: str
    message: str
    retry: bool  # False: wait for the spec to change
    delay: float | None = None  # seconds, when the failure itself says how long (429)


@dataclass
class Outcome:
    status: Any  # operator-owned status (kind.status), complete
    events: list[Event] = field(default_factory=list)
    failure: Failure | None = None
