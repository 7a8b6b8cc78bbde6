"""Fault injection and rate limiting for the PingOne routes."""

from __future__ import annotations

import dataclasses
import math
import random
import re
import time
from dataclasses import dataclass
from typing import Any

from .config import FailRule, FaultConfig


@dataclass
class Decision:
    """What to do with one request before it reaches its handler."""

    delay: float = 0.0  # seconds
    drop: bool = False
    status: int | None = None  # answer with this error instead of handling
    body: str | None = None  # with status: a malformed answer instead (see FailRule)
    reason: str = ""


class FaultInjector:
    def __init__(self, config: FaultConfig | None = None):
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        self.config = dataclasses.replace(config, fail_next=[dataclasses.replace(r) for r in config.fail_next])
        self._rng = random.Random(config.seed)

    def update(self, **changes: Any) -> FaultConfig:
        """Change some settings; a new `seed` restarts the random sequence."""
        rules = changes.pop("fail_next", None)
        config = dataclasses.replace(self.config, **changes)
        if rules is not None:
            config.fail_next = [r if isinstance(r, FailRule) else FailRule(**r) for r in rules]
        if "seed" in changes:
            self.configure(config)
        else:
            self.config = config
        return self.config

    def fail_next(self, count: int = 1, status: int | None = None, method: str = "*", path_regex: str = ".*",
                  body: str | None = None) -> None:
        re.compile(path_regex)  # fail now on a bad pattern, not on the next request
        self.config.fail_next.append(FailRule(method.upper(), path_regex, status, count, body))

    def reset(self) -> None:
        self.configure(FaultConfig())

    def decide(self, method: str, path: str, is_token_endpoint: bool) -> Decision:
        c = self.config
        decision = Decision(delay=(c.latency_ms + (self._rng.uniform(0, c.latency_jitter_ms)
                                                   if c.latency_jitter_ms else 0.0)) / 1000.0)
        for rule in c.fail_next:
            if rule.count > 0 and rule.method in ("*", method) and re.search(rule.path_regex, path):
                rule.count -= 1
                c.fail_next = [r for r in c.fail_next if r.count > 0]
                decision.status, decision.body = rule.status, rule.body
                decision.reason = f"fail_next:{rule.body}" if rule.body else "fail_next"
                return decision
        if c.drop_rate and self._rng.random() < c.drop_rate:
            decision.drop, decision.reason = True, "drop"
            return decision
        if c.error_rate and self._rng.random() < c.error_rate:
            decision.status, decision.reason = c.error_status, "error_rate"
            return decision
        if is_token_endpoint and c.token_outage:
            decision.status, decision.reason = 503, "token_outage"
        return decision


class RateLimiter:
    """Token bucket: `rate` requests per second with a burst of `rate` (at least 1)."""

    def __init__(self, rate: float | None = None):
        self.set_rate(rate)

    def set_rate(self, rate: float | None) -> None:
        self.rate = rate if rate and rate > 0 else None
        self._capacity = max(1.0, self.rate or 1.0)
        self._tokens = self._capacity
        self._stamp = time.monotonic()

    def acquire(self) -> int | None:
        """None when allowed, else the seconds to wait (for Retry-After)."""
        if self.rate is None:
            return None
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return max(1, math.ceil((1.0 - self._tokens) / self.rate))
