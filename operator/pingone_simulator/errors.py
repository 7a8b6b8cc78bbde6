"""PingOne error bodies: the management API's P1Error and RFC 6749 token errors."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

VALIDATION_MESSAGE = "The request could not be completed. One or more validation errors were in the request."
NOT_FOUND_MESSAGE = "The requested resource object cannot be found."
NOT_AUTHORIZED_MESSAGE = "The actor attempting to perform the request is not authorized."
NO_ACCESS_MESSAGE = "The request could not be completed. You do not have access to this resource."
UNAUTHENTICATED_MESSAGE = "The request could not be completed. The access token is missing, invalid or expired."


def detail(code: str, target: str | None, message: str, **inner: Any) -> dict[str, Any]:
    """One entry of P1Error.details."""
    item: dict[str, Any] = {"code": code}
    if target is not None:
        item["target"] = target
    item["message"] = message
    if inner:
        item["innerError"] = inner
    return item


def p1_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": str(uuid.uuid4()), "code": code, "message": message}
    if details:
        body["details"] = details
    return body


def p1_error(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return json_response(p1_body(code, message, details), status=status, headers=headers)


def invalid_data(details: list[dict[str, Any]]) -> web.Response:
    return p1_error(400, "INVALID_DATA", VALIDATION_MESSAGE, details)


def invalid_request(message: str, details: list[dict[str, Any]] | None = None) -> web.Response:
    return p1_error(400, "INVALID_REQUEST", message, details)


def not_found() -> web.Response:
    return p1_error(404, "NOT_FOUND", NOT_FOUND_MESSAGE)


def unauthenticated(reason: str) -> web.Response:
    return p1_error(
        401,
        "ACCESS_FAILED",
        UNAUTHENTICATED_MESSAGE,
        [detail("INVALID_TOKEN", None, reason)],
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def forbidden(message: str = NOT_AUTHORIZED_MESSAGE) -> web.Response:
    return p1_error(403, "ACCESS_FAILED", message, [detail("INSUFFICIENT_PERMISSIONS", None, message)])


def rate_limited(retry_after: int) -> web.Response:
    return p1_error(
        429,
        "REQUEST_LIMITED",
        "The request could not be completed. Too many requests; retry later.",
        [detail("LIMIT_EXCEEDED", None, "Rate limit exceeded.", retryAfter=retry_after)],
        headers={"Retry-After": str(retry_after)},
    )


def for_status(status: int) -> web.Response:
    """A plausible P1Error for an injected failure with this status."""
    if status == 429:
        return rate_limited(1)
    if status == 401:
        return unauthenticated("Injected failure.")
    if status == 403:
        return forbidden()
    if status == 404:
        return not_found()
    if status == 400:
        return invalid_request("The request could not be completed. Injected failure.")
    if status == 503:
        return p1_error(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable.",
                        headers={"Retry-After": "1"})
    if status >= 500:
        return p1_error(status, "UNEXPECTED_ERROR", "An unexpected error occurred.")
    return p1_error(status, "REQUEST_FAILED", "The request could not be completed.")


def oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> web.Response:
    """RFC 6749 §5.2 error; the description carries a correlation id as PingOne's does."""
    body = {"error": error, "error_description": f"{description} (Correlation ID: {uuid.uuid4()})"}
    extra = dict(headers or {})
    extra.setdefault("Cache-Control", "no-store")
    return json_response(body, status=status, headers=extra)


def oauth_for_status(status: int) -> web.Response:
    if status == 429:
        return oauth_error(429, "temporarily_unavailable", "Request limited.", {"Retry-After": "1"})
    if status == 401:
        return oauth_error(401, "invalid_client", "Injected failure.")
    if status >= 500:
        return oauth_error(status, "server_error" if status != 503 else "temporarily_unavailable",
                           "Injected failure.", {"Retry-After": "1"} if status == 503 else None)
    return oauth_error(status, "invalid_request", "Injected failure.")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body).encode(), status=status, headers=headers, content_type="application/json"
    )
