"""An async client for PingOne's management API: applications, their lists, resources and scopes.

One shared httpx.AsyncClient (pooled connections, timeouts), a token provider, client-side pacing,
a cap on concurrent calls, and retries that are bounded and jittered. Validation errors are never
retried. Nothing here logs a body, a token or a secret.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..config import PingOneSettings
from .auth import TokenProvider
from .errors import (
    AuthenticationFailed,
    MalformedResponse,
    NotFound,
    PingOneError,
    RateLimited,
    Unreachable,
    ValidationFailed,
    error_from_response,
)
from . import pacing
from .pacing import RequestPacer

log = logging.getLogger(__name__)

# PingOne wants previous.expiresAt at least a minute ahead when it receives the request; the
# margin covers the request's way there and clock skew.
MIN_OVERLAP_SECONDS = 60
SEND_MARGIN_SECONDS = 5
MAX_LIST_PAGES = 1000  # a bound on following `_links.next`, should a server loop
Body = Any  # a JSON value, or a callable that builds it at send time


class Observer:
    """Hooks for metrics; the client itself knows nothing of Prometheus."""

    def response(self, method: str, status: str, seconds: float) -> None:
        """One answer (or transport failure) of the management API."""

    def rate_limited(self, seconds: float) -> None:
        """PingOne answered 429; all calls pause for `seconds`."""

    def paced(self, seconds: float) -> None:
        """A call waited `seconds` for its turn in the rate budget (the connection's, the host's)."""

    def malformed(self, method: str) -> None:
        """A 2xx answer that is not the JSON PingOne documents (e.g. a proxy's HTML page)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # total tries per call, the first included
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Full jitter (AWS style): spreads retries so many objects don't retry in waves."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


class PingOneClient:
    def __init__(
        self,
        api_url: str,
        tokens: TokenProvider,
        http: httpx.AsyncClient,
        *,
        pacer: RequestPacer | None = None,
        own_pacer: RequestPacer | None = None,
        max_concurrency: int = 16,
        retry: RetryPolicy = RetryPolicy(),
        observer: Observer | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.tokens = tokens
        self._http = http
        self._pacer = pacer
        self._own_pacer = own_pacer
        self._group = tokens.client_id  # this connection, in the host's rotation
        self._slots = asyncio.Semaphore(max_concurrency)
        self._retry = retry
        self._observer = observer or Observer()

    def changes_waiting(self) -> bool:
        """Calls that are not background ones queue for this connection's or its host's budget."""
        return any(pacer.changes_waiting() for pacer in (self._own_pacer, self._pacer) if pacer)

    @classmethod
    def from_settings(cls, settings: PingOneSettings, **kwargs: Any) -> PingOneClient:
        # TLS is always verified; a CA bundle adds trust (e.g. an inspecting proxy), never removes it.
        verify: ssl.SSLContext | bool = True
        if settings.ca_bundle:
            verify = ssl.create_default_context(cafile=settings.ca_bundle)
        http = httpx.AsyncClient(
            verify=verify,
            timeout=httpx.Timeout(settings.timeout_seconds, connect=10.0),
            limits=httpx.Limits(max_connections=settings.max_concurrency * 2),
            headers={"User-Agent": "pingone-operator"},
        )
        # One budget per API host, shared with every other connection to it; this connection's
        # own rate caps its share.
        pacer = pacing.for_host(urlsplit(settings.api_url).netloc, settings.requests_per_second)
        own = RequestPacer(settings.requests_per_second)
        tokens = TokenProvider(
            http,
            settings.token_url,
            settings.client_id,
            settings.client_secret,
            settings.token_auth_method,
            pacer=pacer,
        )
        return cls(
            settings.api_url,
            tokens,
            http,
            pacer=pacer,
            own_pacer=own,
            max_concurrency=settings.max_concurrency,
            **kwargs,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def sign_in(self) -> None:
        """Fetch an access token (or reuse a fresh one): proves the credentials work."""
        await self.tokens.token()

    # --- applications -------------------------------------------------------------------------

    def _apps(self, environment_id: str) -> str:
        return f"{self.api_url}/environments/{environment_id}/applications"

    async def create_application(self, environment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        # POST is not idempotent: a retry after a lost answer could create a twin. The caller
        # recovers by name (names are unique per environment), so POST is never retried on 5xx.
        return self._application("POST", await self._request("POST", self._apps(environment_id), json=body, idempotent=False))

    async def get_application(self, environment_id: str, application_id: str) -> dict[str, Any]:
        return self._application("GET", await self._request("GET", f"{self._apps(environment_id)}/{application_id}"))

    async def replace_application(
        self, environment_id: str, application_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        return self._application(
            "PUT", await self._request("PUT", f"{self._apps(environment_id)}/{application_id}", json=body)
        )

    async def delete_application(self, environment_id: str, application_id: str) -> bool:
        """Delete; False when it was already gone."""
        try:
            await self._request("DELETE", f"{self._apps(environment_id)}/{application_id}")
        except NotFound:
            return False
        return True

    async def list_applications(self, environment_id: str, filter: str | None = None) -> list[dict[str, Any]]:
        return await self._list(self._apps(environment_id), "applications", {"filter": filter} if filter else None)

    async def _list(self, url: str, key: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """Every page of a list (PingOne pages with `_links.next`)."""
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        for _ in range(MAX_LIST_PAGES):
            page = await self._request("GET", next_url, params=params)
            items += [a for a in (page.get("_embedded") or {}).get(key) or [] if isinstance(a, dict)]
            next_url = ((page.get("_links") or {}).get("next") or {}).get("href")
            if not next_url:
                return items
            params = None  # the next link carries the query
        raise MalformedResponse(f"PingOne's {key} list did not end after {MAX_LIST_PAGES} pages")

    async def find_application_by_name(self, environment_id: str, name: str) -> dict[str, Any] | None:
        """Names are unique per environment in PingOne, which makes them a recovery key.

        Asks PingOne to filter by name (undocumented for applications: it may be honoured, ignored
        or refused), follows every page, and compares the names itself.
        """
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        try:
            apps = await self.list_applications(environment_id, filter=f'name eq "{quoted}"')
        except ValidationFailed:
            apps = await self.list_applications(environment_id)
        return next((app for app in apps if app.get("name") == name and app.get("id")), None)

    def _application(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self._with_id(method, "application", payload)

    def _with_id(self, method: str, noun: str, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload.get("id"), str) or not payload["id"]:
            self._observer.malformed(method)
            raise MalformedResponse(f"PingOne {method} answered without the {noun}'s id")
        return payload

    # --- an application's lists (grants, attributes, signOnPolicyAssignments, roleAssignments) ---

    async def list_children(self, environment_id: str, application_id: str, kind: str) -> list[dict[str, Any]]:
        return await self._list(f"{self._apps(environment_id)}/{application_id}/{kind}", kind)

    async def create_child(self, environment_id: str, application_id: str, kind: str,
                           body: dict[str, Any]) -> dict[str, Any]:
        # Not repeated on 5xx: a lost answer is found on the next sync's list instead of twice.
        return await self._request("POST", f"{self._apps(environment_id)}/{application_id}/{kind}", json=body,
                                   idempotent=False)

    async def replace_child(self, environment_id: str, application_id: str, kind: str, child_id: str,
                            body: dict[str, Any]) -> dict[str, Any]:
        return await self._request("PUT", f"{self._apps(environment_id)}/{application_id}/{kind}/{child_id}",
                                   json=body)

    async def delete_child(self, environment_id: str, application_id: str, kind: str, child_id: str) -> bool:
        try:
            await self._request("DELETE", f"{self._apps(environment_id)}/{application_id}/{kind}/{child_id}")
        except NotFound:
            return False
        return True

    # --- resources (PingOneResource) and their scopes; also what grants' names stand for ---

    def _resources(self, environment_id: str) -> str:
        return f"{self.api_url}/environments/{environment_id}/resources"

    async def list_resources(self, environment_id: str) -> list[dict[str, Any]]:
        return await self._list(self._resources(environment_id), "resources")

    async def get_resource(self, environment_id: str, resource_id: str) -> dict[str, Any]:
        url = f"{self._resources(environment_id)}/{resource_id}"
        return self._with_id("GET", "resource", await self._request("GET", url))

    async def find_resource_by_name(self, environment_id: str, name: str) -> dict[str, Any] | None:
        """Names are unique per environment: the recovery key after a lost create (as for applications)."""
        return next((r for r in await self.list_resources(environment_id) if r.get("name") == name and r.get("id")),
                    None)

    async def create_resource(self, environment_id: str, body: dict[str, Any]) -> dict[str, Any]:
        # Not repeated on 5xx: the caller recovers a lost answer by name.
        answer = await self._request("POST", self._resources(environment_id), json=body, idempotent=False)
        return self._with_id("POST", "resource", answer)

    async def replace_resource(self, environment_id: str, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self._resources(environment_id)}/{resource_id}"
        return self._with_id("PUT", "resource", await self._request("PUT", url, json=body))

    async def delete_resource(self, environment_id: str, resource_id: str) -> bool:
        """Delete (PingOne deletes its scopes with it); False when it was already gone."""
        try:
            await self._request("DELETE", f"{self._resources(environment_id)}/{resource_id}")
        except NotFound:
            return False
        return True

    def _scopes(self, environment_id: str, resource_id: str) -> str:
        return f"{self._resources(environment_id)}/{resource_id}/scopes"

    async def list_scopes(self, environment_id: str, resource_id: str) -> list[dict[str, Any]]:
        return await self._list(self._scopes(environment_id, resource_id), "scopes")

    async def create_scope(self, environment_id: str, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        # Not repeated on 5xx: a lost answer is found on the next sync's list instead of twice.
        return await self._request("POST", self._scopes(environment_id, resource_id), json=body, idempotent=False)

    async def replace_scope(self, environment_id: str, resource_id: str, scope_id: str,
                            body: dict[str, Any]) -> dict[str, Any]:
        return await self._request("PUT", f"{self._scopes(environment_id, resource_id)}/{scope_id}", json=body)

    async def delete_scope(self, environment_id: str, resource_id: str, scope_id: str) -> bool:
        try:
            await self._request("DELETE", f"{self._scopes(environment_id, resource_id)}/{scope_id}")
        except NotFound:
            return False
        return True

    async def list_sign_on_policies(self, environment_id: str) -> list[dict[str, Any]]:
        return await self._list(f"{self.api_url}/environments/{environment_id}/signOnPolicies", "signOnPolicies")

    async def list_roles(self) -> list[dict[str, Any]]:
        return await self._list(f"{self.api_url}/roles", "roles")

    # --- secret -------------------------------------------------------------------------------

    async def get_secret(self, environment_id: str, application_id: str) -> dict[str, Any]:
        answer = await self._request("GET", f"{self._apps(environment_id)}/{application_id}/secret")
        if not isinstance(answer.get("secret"), str):
            raise MalformedResponse("PingOne's secret answer has no secret")
        return answer

    async def rotate_secret(
        self, environment_id: str, application_id: str, overlap_seconds: float | None = None
    ) -> tuple[dict[str, Any], datetime | None]:
        """Regenerate; the old secret stays valid for `overlap_seconds` (else ends now).

        `previous.expiresAt` is computed when the request leaves, never under PingOne's minimum.
        Returns PingOne's answer and the expiry sent.
        """
        sent: list[datetime] = []

        def body() -> dict[str, Any] | None:
            if overlap_seconds is None:
                return None
            seconds = max(overlap_seconds, MIN_OVERLAP_SECONDS + SEND_MARGIN_SECONDS)
            sent.append(datetime.now(timezone.utc) + timedelta(seconds=seconds))
            stamp = sent[-1].isoformat(timespec="milliseconds").replace("+00:00", "Z")
            return {"previous": {"expiresAt": stamp}}

        # Not retried on 5xx: a second regenerate would drop the overlap of the first.
        answer = await self._request(
            "POST", f"{self._apps(environment_id)}/{application_id}/secret", json=body, idempotent=False
        )
        if not isinstance(answer.get("secret"), str):
            raise MalformedResponse("PingOne's secret answer has no secret")
        return answer, (sent[-1] if sent else None)

    # --- transport ----------------------------------------------------------------------------

    async def _request(
        self, method: str, url: str, *, json: Body = None, params: dict[str, str] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        refreshed = False
        attempt = 0
        while True:
            try:
                return await self._send_once(method, url, json, params)
            except AuthenticationFailed:
                if refreshed:
                    raise
                refreshed = True  # one fresh token, one more try: the token may just have expired
                continue
            except RateLimited as exc:
                # Not a failure of this request: PingOne refused it without doing anything.
                if attempt + 1 >= self._retry.attempts:
                    raise
                wait = exc.retry_after + random.uniform(0, 0.25)
                self._observer.rate_limited(wait)
                log.warning("PingOne answered 429; pausing calls for %.1f s", wait)
                if self._pacer:
                    self._pacer.pause(wait)
                else:
                    await asyncio.sleep(wait)
            except PingOneError as exc:
                if not exc.retryable or attempt + 1 >= self._retry.attempts:
                    raise
                # A POST that may have reached PingOne is not repeated: the caller recovers.
                if not idempotent and not (isinstance(exc, Unreachable) and not exc.maybe_sent):
                    raise
                await asyncio.sleep(self._retry.delay(attempt))
            attempt += 1

    async def _send_once(self, method: str, url: str, json: Body, params: dict[str, str] | None) -> dict[str, Any]:
        token = await self.tokens.token()
        queued, waited = time.monotonic(), False
        if self._own_pacer:  # this connection's own rate first...
            waited |= await self._own_pacer.acquire()
        if self._pacer:  # ...then its turn at the host (fair between connections and namespaces)
            waited |= await self._pacer.acquire(self._group)
        if waited:
            self._observer.paced(time.monotonic() - queued)
        async with self._slots:
            if self._pacer:  # right before sending: a 429 pause also holds requests queued for a slot
                await self._pacer.wait_unpaused()
            started = time.monotonic()
            try:
                response = await self._http.request(
                    method, url, json=json() if callable(json) else json, params=params, headers={"Authorization": f"Bearer {token}"}
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                self._observer.response(method, "unreachable", time.monotonic() - started)
                raise Unreachable(f"PingOne unreachable: {type(exc).__name__}", maybe_sent=False) from None
            except httpx.TransportError as exc:  # timeouts and dropped connections after sending
                self._observer.response(method, "unreachable", time.monotonic() - started)
                raise Unreachable(f"PingOne {method} failed: {type(exc).__name__}") from None
        self._observer.response(method, str(response.status_code), time.monotonic() - started)
        if response.status_code == 401:
            self.tokens.invalidate(token)
        if response.status_code >= 400:
            try:
                payload = response.json()
            except ValueError:
                payload = None
            raise error_from_response(response.status_code, payload, response.headers)
        if response.status_code == 204 or (method == "DELETE" and not response.content):
            return {}
        try:  # a proxy or gateway can answer 2xx with an HTML page
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self._observer.malformed(method)
            raise MalformedResponse(
                f"PingOne {method} answered {response.status_code} with a body that is not a JSON object "
                f"({response.headers.get('Content-Type', 'no content type')})"
            )
        return payload
