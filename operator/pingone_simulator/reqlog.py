"""Request log for tests, with every secret and token redacted before it is stored."""

from __future__ import annotations

import collections
import json
from typing import Any
from urllib.parse import parse_qsl

REDACTED = "[REDACTED]"
SENSITIVE_KEYS = {"secret", "clientsecret", "client_secret", "client_assertion", "access_token", "refresh_token",
                  "id_token", "token", "password", "assertion", "worker_client_secret"}


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if str(k).lower() in SENSITIVE_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def parse_body(raw: bytes, content_type: str) -> Any:
    """Best-effort decode for the log: JSON, form, or a note about the size."""
    if not raw:
        return None
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        return json.loads(raw)
    except ValueError:
        return f"<{len(raw)} bytes, not JSON>"


class RequestLog:
    def __init__(self, size: int = 10000):
        self.entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=size)
        self.by_method: collections.Counter[str] = collections.Counter()
        self.by_route: collections.Counter[str] = collections.Counter()

    def record(self, *, method: str, path: str, route: str, status: int | None, timestamp: str,
               duration_ms: float, body: Any, fault: str = "") -> None:
        self.entries.append({
            "method": method, "path": path, "route": route, "status": status, "timestamp": timestamp,
            "durationMs": round(duration_ms, 3), "body": redact(body), "fault": fault or None,
        })
        self.by_method[method] += 1
        self.by_route[f"{method} {route}"] += 1

    def clear(self) -> None:
        self.entries.clear()
        self.by_method.clear()
        self.by_route.clear()

    def counts(self) -> dict[str, Any]:
        return {"total": sum(self.by_method.values()), "byMethod": dict(self.by_method),
                "byRoute": dict(self.by_route)}
