"""What the resources share: size bounds, CEL helpers, enums' base, the condition model.

Bounds keep CEL's cost estimate within the API server's budget, typos out, and the largest spec
small enough for kopf, which copies the spec into an annotation (tests/unit/test_crd_size.py).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

# Bounds that keep CEL's cost estimate within the API server's budget, and typos out. They also
# keep the largest spec small enough for kopf, which copies the spec into an annotation (all
# annotations of an object share 256 KiB; tests/unit/test_crd_size.py). kopf's JSON escapes
# non-ASCII (up to 12 bytes a character), so fields that can only hold ASCII say so in a pattern.
URI_CHARS = r"[\x21\x23-\x5b\x5d-\x7e]"  # printable ASCII but space, `"` and `\`: one byte each
URI = Annotated[str, Field(min_length=1, max_length=1024, pattern=rf"^{URI_CHARS}+$")]
# One URI of a list: a hundred of them at 1 KiB would leave no room for the rest of a spec.
LISTED_URI = Annotated[str, Field(min_length=1, max_length=512, pattern=rf"^{URI_CHARS}+$")]
# Names PingOne shows (resources, policies, roles): printable ASCII with spaces, no `"` or `\`.
NAME_CHARS = r"[\x20\x21\x23-\x5b\x5d-\x7e]"
NAME = Annotated[str, Field(min_length=1, max_length=100, pattern=rf"^{NAME_CHARS}+$")]
# Scope and claim names: no spaces either.
TOKEN = Annotated[str, Field(min_length=1, max_length=64, pattern=rf"^{URI_CHARS}+$")]
HTTPS_URL = Annotated[str, Field(min_length=9, max_length=1024, pattern=rf"^https://{URI_CHARS}+$")]
# An origin has no path, and a host name is at most 253 characters.
ORIGIN = Annotated[str, Field(min_length=1, max_length=300, pattern=rf"^{URI_CHARS}+$")]
MAX_URIS = 100
MAX_POST_LOGOUT_URIS = 25  # about one per site; a site often has several redirect URIs
# ASCII text (JSON, keys); `"`, `\` and line breaks take two bytes in kopf's JSON.
ASCII_TEXT = r"^[\t\n\r\x20-\x7e]*$"
MAX_JWKS = 8192  # a few keys; larger key sets belong behind jwksUrl
PINGONE_ID = Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{36}$")]
MOBILE_ID = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9._-]+$")]
INT32_MAX = 2147483647


def _cel(*rules: tuple[str, str], **extra: Any) -> dict[str, Any]:
    """A json_schema_extra that adds CEL rules as x-kubernetes-validations."""
    return {"x-kubernetes-validations": [{"rule": r, "message": m} for r, m in rules], **extra}


class StrEnum(str, Enum):
    def __str__(self) -> str:
        return self.value


class Condition(BaseModel):
    """metav1.Condition's shape and bounds."""

    type: str = Field(max_length=316, pattern=r"^([a-z0-9.-]{1,253}/)?[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$",
                      description="Ready, Synced, Reconciling or Stalled.")
    status: Literal["True", "False", "Unknown"] = Field(description="True, False or Unknown.")
    reason: str = Field(max_length=1024, description="A CamelCase reason.")
    message: str = Field("", max_length=32768, description="Human-readable detail, e.g. PingOne's own error message.")
    lastTransitionTime: str = Field(json_schema_extra={"format": "date-time"},
                                    description="When status last changed (RFC 3339).")
    observedGeneration: int | None = Field(None, description="The generation this condition is about.")


# kstatus and server-side apply: conditions are a map keyed by type.
CONDITIONS = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}
