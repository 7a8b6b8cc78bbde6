"""Malformed success answers, as a proxy or gateway in front of PingOne can give them.

pingone-pitfalls.md §6: a 2xx that is not the expected JSON must be treated as a transient
failure. The shapes here (an HTML page, JSON cut short, JSON without `id`) are the simulator's
choice of what such answers look like [I].
"""

from __future__ import annotations

import json

from aiohttp import web

HTML_PAGE = ("<!DOCTYPE html>\n<html><head><title>Service notice</title></head>\n"
             "<body><h1>Please wait</h1><p>The service you requested is being checked by a proxy.</p></body></html>\n")


def html_page(status: int) -> web.Response:
    """Stands in for the request: it never reaches PingOne."""
    return web.Response(text=HTML_PAGE, status=status, content_type="text/html")


def rewrite(response: web.StreamResponse, kind: str, status: int) -> web.Response:
    """The handled request's answer, damaged as `kind` says ("truncated" or "no-id")."""
    raw = response.body if isinstance(response, web.Response) and isinstance(response.body, bytes) else b""
    if kind == "truncated":
        raw = raw[: len(raw) // 2]
    elif kind == "no-id":
        raw = _without_id(raw)
    # Location and the like stay; the length is recomputed for the new body.
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
    return web.Response(body=raw, status=status, headers=headers, content_type="application/json")


def _without_id(raw: bytes) -> bytes:
    try:
        body = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(body, dict):
        body.pop("id", None)
    return json.dumps(body).encode()
