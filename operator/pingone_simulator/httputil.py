"""Small request helpers shared by the route modules."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .state import SimulatorState

STATE = web.AppKey("pingone_simulator_state", SimulatorState)


def state_of(request: web.Request) -> SimulatorState:
    return request.app[STATE]


def origin(request: web.Request) -> str:
    """scheme://host[:port] as the client addressed us, so any hostname works."""
    return f"{request.scheme}://{request.host}"


def api_base(request: web.Request) -> str:
    return origin(request) + "/v1"


class BadBody(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


async def read_json(request: web.Request, *, optional: bool = False) -> Any:
    """Parse a JSON body; BadBody(415) for another media type, BadBody(400) when malformed."""
    raw = await request.read()
    if not raw.strip():
        if optional:
            return None
        raise BadBody(400, "The request could not be completed. The request body is missing.")
    ctype = request.content_type
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise BadBody(415, f"The request could not be completed. Unsupported Content-Type {ctype!r}.")
    try:
        return json.loads(raw)
    except ValueError:
        raise BadBody(400, "The request could not be completed. The request body is not valid JSON.") from None
