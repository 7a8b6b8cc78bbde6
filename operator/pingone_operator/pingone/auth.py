"""The operator's own sign-in to PingOne: client_credentials for a worker application.

Supports the three secret-based methods PingOne offers to worker apps. For CLIENT_SECRET_JWT the
client authenticates with an RFC 7523 assertion signed HS256 with its secret, so the secret itself
never crosses the wire. Tokens are cached, refreshed ahead of expiry, and concurrent callers share
a single token request.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import jwt

from ..config import Secret
from .errors import PingOneError, TokenRequestFailed, Unreachable, parse_retry_after
from .pacing import RequestPacer

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_SECONDS = 300
# Refresh this long before the token's expiry, so a request never leaves with a dying token.
REFRESH_MARGIN_SECONDS = 60
# A failed token request answers every caller for this long (or Retry-After), instead of each
# caller sending its own during an outage.
FAILURE_HOLD_SECONDS = 1.0
# A 429 without Retry-After: wait 2, 4, 8... seconds (with jitter), up to this.
MAX_BACKOFF_SECONDS = 120.0


def client_assertion(client_id: str, secret: str, audience: str, now: float | None = None) -> str:
    """An RFC 7523 client assertion: iss = sub = client id, aud = token endpoint, fresh jti."""
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME_SECONDS,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def token_request(method: str, client_id: str, secret: Secret, token_url: str) -> dict:
    """Keyword arguments for httpx: the form and headers each auth method needs."""
    form = {"grant_type": "client_credentials"}
    if method == "CLIENT_SECRET_BASIC":
        return {"data": form, "auth": httpx.BasicAuth(client_id, secret.value)}
    if method == "CLIENT_SECRET_POST":
        return {"data": {**form, "client_id": client_id, "client_secret": secret.value}}
    if method == "CLIENT_SECRET_JWT":
        assertion = client_assertion(client_id, secret.value, token_url)
        return {
            "data": {
                **form,
                "client_id": client_id,
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
            }
        }
    raise ValueError(f"unsupported token endpoint auth method {method!r}")


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float  # monotonic clock

    def fresh(self, now: float) -> bool:
        return now < self.expires_at - REFRESH_MARGIN_SECONDS


class TokenProvider:
    """Hands out a valid access token; fetches a new one only when needed."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token_url: str,
        client_id: str,
        client_secret: Secret,
        method: str = "CLIENT_SECRET_BASIC",
        clock: Callable[[], float] = time.monotonic,
        pacer: RequestPacer | None = None,
    ) -> None:
        self._http = http
        self._token_url = token_url
        self._client_id = client_id
        self.client_id = client_id  # not a secret: it names the connection in the host's rotation
        self._secret = client_secret
        self._method = method
        self._clock = clock
        self._token: AccessToken | None = None
        self._failure: tuple[float, PingOneError] | None = None
        self._failures_in_a_row = 0
        self._pacer = pacer
        self._lock = asyncio.Lock()
        self.requests = 0  # token requests sent; for tests and metrics

    async def token(self) -> str:
        current = self._token
        if current and current.fresh(self._clock()):
            return current.value
        async with self._lock:  # the first caller fetches; the others wait and reuse its token
            current = self._token
            if current and current.fresh(self._clock()):
                return current.value
            if self._failure and self._clock() < self._failure[0]:
                raise self._failure[1]  # ...or its failure: one request per outage, not one per caller
            if self._pacer:
                await self._pacer.acquire()  # token requests count against the same rate limit
            try:
                self._token = await self._fetch()
            except PingOneError as exc:
                self._failures_in_a_row += 1
                hold = max(FAILURE_HOLD_SECONDS, self._hold(exc))
                self._failure = (self._clock() + hold, exc)
                raise
            self._failure = None
            self._failures_in_a_row = 0
            return self._token.value

    def _hold(self, exc: PingOneError) -> float:
        """How long a failed token request stands: Retry-After when given; a 429 without it backs
        off exponentially, so a busy PingOne is not asked again at once. (An outage keeps the short
        hold: every caller's own backoff spaces those, and recovery is seen at once.)"""
        if not isinstance(exc, TokenRequestFailed) or exc.retry_after:
            return getattr(exc, "retry_after", 0.0) or 0.0
        if exc.status != 429:
            return 0.0
        exc.retry_after = min(MAX_BACKOFF_SECONDS, 2.0 ** self._failures_in_a_row) * random.uniform(0.5, 1.0)
        return exc.retry_after

    def invalidate(self, stale: str) -> None:
        """Forget `stale` (PingOne refused it); a token fetched meanwhile is kept."""
        if self._token and self._token.value == stale:
            self._token = None

    async def _fetch(self) -> AccessToken:
        self.requests += 1
        kwargs = token_request(self._method, self._client_id, self._secret, self._token_url)
        try:
            response = await self._http.post(self._token_url, **kwargs)
        except httpx.TimeoutException:
            raise Unreachable("PingOne token endpoint timed out") from None
        except httpx.TransportError as exc:
            raise Unreachable(f"PingOne token endpoint unreachable ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise _token_error(response)
        try:
            payload = response.json()
            value = str(payload["access_token"])
            lifetime = float(payload.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise TokenRequestFailed("PingOne token endpoint returned an unreadable response") from None
        return AccessToken(value=value, expires_at=self._clock() + lifetime)


def _token_error(response: httpx.Response) -> TokenRequestFailed:
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    error = payload.get("error") if isinstance(payload, dict) else None
    description = payload.get("error_description") if isinstance(payload, dict) else None
    return TokenRequestFailed(
        f"token request refused: {description or error or 'no reason given'}",
        status=response.status_code,
        code=error or "TOKEN_REQUEST_FAILED",
        retry_after=parse_retry_after(response.headers.get("Retry-After"), default=0),
    )
