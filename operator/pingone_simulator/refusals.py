"""`Refused`: a PingOne error the model layer raises and the routes turn into a P1Error answer.

Codes and messages follow what PingOne is documented (or observed) to send: 400 `INVALID_DATA`
with `details[].target` for a bad field, 400 `INVALID_REQUEST` for an operation PingOne refuses
outright, 403 `ACCESS_FAILED`, 404 `NOT_FOUND` (errors.py has the texts).
"""

from __future__ import annotations

import uuid
from typing import Any

from .clock import Clock, format_rfc3339, later_than
from .errors import NOT_AUTHORIZED_MESSAGE, NOT_FOUND_MESSAGE, VALIDATION_MESSAGE, detail


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def invalid(code: str, target: str | None, message: str) -> Refused:
    """400 INVALID_DATA with one detail (INVALID_VALUE, REQUIRED_VALUE, UNIQUENESS_VIOLATION, ...)."""
    return Refused(400, "INVALID_DATA", VALIDATION_MESSAGE, [detail(code, target, message)])


def refused_request(message: str) -> Refused:
    """400 INVALID_REQUEST: the body is fine but PingOne does not allow the operation."""
    return Refused(400, "INVALID_REQUEST", f"The request could not be completed. {message}")


def not_found() -> Refused:
    return Refused(404, "NOT_FOUND", NOT_FOUND_MESSAGE)


def forbidden(message: str) -> Refused:
    return Refused(403, "ACCESS_FAILED", NOT_AUTHORIZED_MESSAGE, [detail("INSUFFICIENT_PERMISSIONS", None, message)])


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("INVALID_VALUE", None, "The request body must be a JSON object.")
    return body


def require_string(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise invalid("REQUIRED_VALUE", key, f"{key} is required.")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise invalid("INVALID_VALUE", key, f"{key} must be a non-empty string.")
    return value


def require_bool(body: dict[str, Any], key: str, default: bool | None = None) -> bool | None:
    value = body.get(key)
    if value is None:
        if default is None:
            raise invalid("REQUIRED_VALUE", key, f"{key} is required.")
        return default
    if not isinstance(value, bool):
        raise invalid("INVALID_VALUE", key, f"{key} must be a boolean.")
    return value


def reference_id(body: dict[str, Any], key: str) -> str:
    """`{key: {id: "..."}}` -> the id; REQUIRED_VALUE / INVALID_VALUE on `key.id` otherwise."""
    ref = body.get(key)
    if ref is None or (isinstance(ref, dict) and ref.get("id") is None):
        raise invalid("REQUIRED_VALUE", f"{key}.id", f"{key}.id is required.")
    if not isinstance(ref, dict) or not isinstance(ref.get("id"), str) or not ref["id"]:
        raise invalid("INVALID_VALUE", f"{key}.id", f"{key}.id must be a string.")
    return ref["id"]


def new_id() -> str:
    return str(uuid.uuid4())


def stamp(clock: Clock) -> str:
    return format_rfc3339(clock.now())


def restamp(previous: str | None, clock: Clock) -> str:
    """An updatedAt strictly after the previous one."""
    return format_rfc3339(later_than(previous, clock.now()))
