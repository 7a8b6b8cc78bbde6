"""Simulated wall clock and RFC 3339 helpers.

The clock can be advanced so tests can cross token and secret expiries without sleeping.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


class Clock:
    """Real time plus an offset that only ever grows."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=timezone.utc)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the simulated clock cannot go backwards")
        self.offset += seconds
        return self.offset


def format_rfc3339(moment: datetime | float) -> str:
    """`2026-04-20T16:24:35.314Z`: millisecond precision, UTC, as PingOne writes it."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_rfc3339(value: object) -> datetime | None:
    """Parse an RFC 3339 timestamp; None when it is not one (an offset is mandatory)."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    text = value.replace("z", "Z").replace("t", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def later_than(previous: str | None, candidate: datetime) -> datetime:
    """A timestamp strictly after `previous` (ms resolution) so updatedAt always moves."""
    before = parse_rfc3339(previous) if previous else None
    if before is not None and candidate <= before:
        return before + timedelta(milliseconds=1)
    return candidate
