"""The applications list: `filter` in one of three modes, and cursor paging.

PingOne's paging convention (docs, "Paging and ordering collections"): `limit` asks for a page
size, `_links.next.href` is present while more pages remain and carries a URL-safe `cursor`;
`count` is the size of the result set, `size` the size of this page. Whether the applications
list is paged, and whether it honours `filter` (the OpenAPI declares neither parameter for it),
is not documented (pingone-pitfalls.md §5), so both are settings.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .errors import detail
from .store import Application

_FILTER = re.compile(r'^\s*(name|type|protocol|id)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$')


class ListRefused(Exception):
    """A 400 INVALID_REQUEST with these details."""

    def __init__(self, message: str, details: list[dict[str, Any]]):
        super().__init__(message)
        self.message, self.details = message, details


@dataclass
class Page:
    items: list[Application]
    total: int  # matching the filter, across all pages
    next_cursor: str | None


def filtered(apps: list[Application], query: str | None, mode: str) -> list[Application]:
    """Apply `filter` as `mode` says: honour it, refuse it (400), or ignore it."""
    if query is None or mode == "ignore":
        return apps
    if mode == "refuse":
        raise ListRefused("The request could not be completed. The filter is not supported.",
                          [detail("INVALID_FILTER", "filter", "Filtering is not supported for this resource.")])
    match = _FILTER.match(query)
    if not match:
        raise ListRefused("The request could not be completed. The filter is not supported.",
                          [detail("INVALID_FILTER", "filter", 'Supported: name|type|protocol|id eq "value".')])
    key, value = match.group(1), match.group(2).replace('\\"', '"')
    return [a for a in apps if a.fields.get(key) == value]


def page(apps: list[Application], query: Mapping[str, str], default_size: int) -> Page:
    """One page of `apps` (in creation order) after the cursor, at most `limit` long."""
    size = _limit(query.get("limit"), default_size)
    after = _decode(query["cursor"]) if "cursor" in query else 0
    # The cursor is the last item's creation number, so deletes between pages skip nobody.
    rest = [a for a in apps if a.seq > after]
    items = rest[:size]
    more = len(rest) > size
    return Page(items, len(apps), _encode(items[-1].seq) if more else None)


def next_href(url_without_query: str, query: Mapping[str, str], cursor: str) -> str:
    """The request's own URL with the cursor replaced: `filter` and `limit` carry over."""
    params = [(k, v) for k, v in query.items() if k != "cursor"] + [("cursor", cursor)]
    return f"{url_without_query}?{urlencode(params)}"


def _limit(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ListRefused("The request could not be completed. Invalid paging parameters.",
                          [detail("INVALID_VALUE", "limit", "limit must be a positive integer.")])
    return value


def _encode(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix == "seq" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ListRefused("The request could not be completed. Invalid paging parameters.",
                      [detail("INVALID_VALUE", "cursor", "The cursor is not valid.")])
