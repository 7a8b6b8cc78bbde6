"""PingOne's error bodies as typed exceptions.

PingOne answers errors with `{id, code, message, details: [{code, target, message, innerError}]}`.
The exceptions keep PingOne's words and field targets, and never carry request bodies, tokens or
secrets: their text ends up in logs, Events and status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    code: str | None
    target: str | None
    message: str | None
    inner_error: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        text = self.message or self.code or "invalid"
        return f"{self.target}: {text}" if self.target else text


class PingOneError(Exception):
    """Any failure talking to PingOne."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        error_id: str | None = None,
        details: tuple[ErrorDetail, ...] = (),
    ) -> None:
        self.status = status
        self.code = code
        self.error_id = error_id
        self.details = details
        self.message = message
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line: PingOne's message, then each detail with its field."""
        parts = [self.message]
        parts += [d.describe() for d in self.details if d.describe() != self.message]
        text = "; ".join(p for p in parts if p)
        prefix = f"PingOne {self.status} {self.code}" if self.status else "PingOne"
        return f"{prefix}: {text}" if self.code or self.status else text

    @property
    def targets(self) -> list[str]:
        return [d.target for d in self.details if d.target]


class ValidationFailed(PingOneError):
    """400: PingOne refused the request body. Retrying the same body cannot help."""


class AuthenticationFailed(PingOneError):
    """401: the access token was refused even after a fresh one was fetched."""

    retryable = True


class PermissionDenied(PingOneError):
    """403: the worker application lacks a role, or the environment does not exist."""

    retryable = True


class NotFound(PingOneError):
    """404: the application (or environment) is not there."""


class Conflict(PingOneError):
    """409: PingOne reported a conflicting state."""

    retryable = True


class RateLimited(PingOneError):
    """429: PingOne asked us to slow down for `retry_after` seconds."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(PingOneError):
    """5xx: PingOne failed; worth retrying later."""

    retryable = True


class Unreachable(PingOneError):
    """No answer at all: connection refused or dropped, or a timeout."""

    retryable = True

    def __init__(self, message: str, *, maybe_sent: bool = True, **kwargs: Any) -> None:
        self.maybe_sent = maybe_sent  # False when the request surely never reached PingOne
        super().__init__(message, **kwargs)


class MalformedResponse(PingOneError):
    """A 2xx answer that is not what PingOne documents (HTML from a proxy, cut JSON, no `id`)."""

    retryable = True


class TokenRequestFailed(PingOneError):
    """The token endpoint refused the operator's worker credentials (or failed)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float = 0.0, **kwargs: Any) -> None:
        self.retry_after = retry_after  # from Retry-After on a 429 or 503
        super().__init__(message, **kwargs)


_BY_STATUS: dict[int, type[PingOneError]] = {
    400: ValidationFailed,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
}


def parse_retry_after(value: str | None, default: float = 1.0) -> float:
    """Seconds from a Retry-After header (PingOne sends seconds); bounded to 5 minutes."""
    if not value:
        return default
    try:
        return max(0.0, min(float(value), 300.0))
    except ValueError:
        return default


def error_from_response(status: int, payload: Any, headers: Any = None) -> PingOneError:
    """Build the typed exception for an error response of the management API."""
    body = payload if isinstance(payload, dict) else {}
    details = tuple(
        ErrorDetail(
            code=d.get("code"),
            target=d.get("target"),
            message=d.get("message"),
            inner_error=d.get("innerError") or {},
        )
        for d in body.get("details") or []
        if isinstance(d, dict)
    )
    kwargs: dict[str, Any] = dict(
        status=status, code=body.get("code"), error_id=body.get("id"), details=details
    )
    message = str(body.get("message") or f"HTTP {status}")
    if status == 429:
        retry_after = parse_retry_after((headers or {}).get("Retry-After"))
        return RateLimited(message, retry_after=retry_after, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    return _BY_STATUS.get(status, PingOneError)(message, **kwargs)
