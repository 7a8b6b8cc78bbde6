"""Failures as condition reasons with retry advice (DESIGN: errors are classified)."""

from __future__ import annotations

from ..pingone.errors import (
    AuthenticationFailed,
    MalformedResponse,
    PermissionDenied,
    PingOneError,
    RateLimited,
    TokenRequestFailed,
    ValidationFailed,
)
from ..ports import KubernetesUnavailable, SecretConflict, SecretStoreFailed
from .outcome import Failure

# What a sync may fail with and still be classified (anything else is a bug, and kopf logs it).
EXPECTED = (PingOneError, SecretConflict, SecretStoreFailed, KubernetesUnavailable)


def classify(exc: Exception, noun: str = "application") -> Failure:
    if isinstance(exc, ValidationFailed):
        return Failure("InvalidSpec", f"PingOne refused the {noun}: {exc}", retry=False)
    if isinstance(exc, (RateLimited, TokenRequestFailed)) and exc.status == 429:
        return Failure("RateLimited", str(exc), retry=True, delay=exc.retry_after or None)
    if isinstance(exc, MalformedResponse):
        return Failure("InvalidResponse", f"{exc} (a proxy or gateway in the way?)", retry=True)
    if isinstance(exc, TokenRequestFailed) and (exc.status is None or exc.status >= 500):
        return Failure("PingOneUnavailable", str(exc), retry=True)
    if isinstance(exc, (AuthenticationFailed, TokenRequestFailed)):
        return Failure("AuthenticationFailed", f"the operator could not sign in to PingOne: {exc}", retry=True)
    if isinstance(exc, PermissionDenied):
        return Failure(
            "PermissionDenied",
            f"{exc} (does the environment exist, and has the operator's worker app a role in it?)",
            retry=True,
        )
    if isinstance(exc, SecretConflict):
        return Failure("SecretConflict", str(exc), retry=True)
    if isinstance(exc, SecretStoreFailed):
        reason = "SecretForbidden" if exc.status == 403 else "SecretUnavailable"
        return Failure(reason, str(exc), retry=True)
    if isinstance(exc, KubernetesUnavailable):
        return Failure("KubernetesUnavailable", str(exc), retry=True)
    if isinstance(exc, PingOneError):
        return Failure("PingOneUnavailable", str(exc), retry=True)
    return Failure("InternalError", f"{type(exc).__name__}: {exc}", retry=True)
