"""Client authentication at /as/token and the simulator's own access tokens.

Access tokens are HS256 JWTs signed with a per-process key (PingOne signs RS256; the
simulator does not, since only the simulator itself has to verify them).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
import warnings
from dataclasses import dataclass
from typing import Any, Mapping

import jwt

from .clock import Clock
from .store import Application

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_SECRET_ALGS = ["HS256", "HS384", "HS512"]
MAX_ASSERTION_LIFETIME = 3600  # PingOne rejects an assertion whose exp is more than 1 hour ahead


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def invalid_client(description: str) -> OAuthError:
    return OAuthError(401, "invalid_client", description)


@dataclass
class PresentedCredentials:
    method: str  # the auth method the request used
    client_id: str
    secret: str | None = None
    assertion: str | None = None


def extract_credentials(authorization: str | None, form: Mapping[str, str]) -> PresentedCredentials:
    """Work out which client authentication method the request used (RFC 6749 §2.3, RFC 7523)."""
    if authorization and authorization[:6].lower() == "basic ":
        if "client_secret" in form or "client_assertion" in form:
            raise OAuthError(400, "invalid_request", "Multiple client authentication methods were used.")
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise invalid_client("Malformed Basic authorization header.") from None
        client_id, sep, secret = decoded.partition(":")
        if not sep or not client_id:
            raise invalid_client("Malformed Basic authorization header.")
        if form.get("client_id") not in (None, client_id):
            raise OAuthError(400, "invalid_request", "client_id does not match the Authorization header.")
        return PresentedCredentials("CLIENT_SECRET_BASIC", client_id, secret=secret)
    if "client_assertion" in form or "client_assertion_type" in form:
        if form.get("client_assertion_type") != JWT_BEARER:
            raise OAuthError(400, "invalid_request", "Unsupported client_assertion_type.")
        if "client_secret" in form:
            raise OAuthError(400, "invalid_request", "Multiple client authentication methods were used.")
        assertion = form.get("client_assertion") or ""
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise invalid_client("Malformed client assertion.") from None
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise invalid_client("Client assertion must contain iss.")
        if form.get("client_id") not in (None, issuer):
            raise invalid_client("client_id does not match the client assertion issuer.")
        return PresentedCredentials("CLIENT_SECRET_JWT", issuer, assertion=assertion)
    client_id = form.get("client_id")
    if not client_id:
        raise invalid_client("Client authentication is required.")
    if "client_secret" in form:
        return PresentedCredentials("CLIENT_SECRET_POST", client_id, secret=form["client_secret"])
    return PresentedCredentials("NONE", client_id)


def authenticate(app: Application, creds: PresentedCredentials, now: float, audiences: set[str]) -> None:
    """Check the presented credentials against the app; raise OAuthError when they fail."""
    configured = app.fields.get("tokenEndpointAuthMethod")
    if configured == "PRIVATE_KEY_JWT":
        raise invalid_client("Request denied: PRIVATE_KEY_JWT is not supported by the simulator.")
    if creds.method != configured:
        raise invalid_client("Request denied: Unsupported authentication method")
    if configured == "NONE":
        return
    candidates = [app.secret]
    previous = app.live_previous(now)
    if previous is not None:
        candidates.append(previous.secret)
    if creds.method == "CLIENT_SECRET_JWT":
        used = _verify_assertion(creds, candidates, now, audiences)
    else:
        used = next((s for s in candidates if secrets.compare_digest(s, creds.secret or "")), None)
    if used is None:
        raise invalid_client("Request denied: Invalid client credentials")
    if previous is not None and used == previous.secret and used != app.secret:
        previous.last_used = now


def _verify_assertion(creds: PresentedCredentials, candidates: list[str], now: float,
                      audiences: set[str]) -> str | None:
    try:
        header = jwt.get_unverified_header(creds.assertion or "")
    except jwt.PyJWTError:
        raise invalid_client("Malformed client assertion.") from None
    alg = header.get("alg")
    if alg not in CLIENT_SECRET_ALGS:
        raise invalid_client(f"Client assertion algorithm {alg!r} is not allowed; use HS256, HS384 or HS512.")
    claims: dict[str, Any] | None = None
    used = None
    for candidate in candidates:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                claims = jwt.decode(creds.assertion or "", candidate, algorithms=[alg], options={
                    "verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
                    "verify_iss": False, "verify_sub": False, "verify_jti": False})
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError:
            raise invalid_client("Malformed client assertion.") from None
        used = candidate
        break
    if claims is None:
        return None
    if claims.get("sub") != creds.client_id:
        raise invalid_client("Client assertion sub must equal iss (the client ID).")
    aud = claims.get("aud")
    aud_values = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a.rstrip("/") in audiences for a in aud_values):
        raise invalid_client("Client assertion aud must be the token endpoint or the issuer URL.")
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise invalid_client("Client assertion must contain a numeric exp.")
    if exp <= now:
        raise invalid_client("Client assertion has expired.")
    if exp > now + MAX_ASSERTION_LIFETIME:
        raise invalid_client("Client assertion exp is more than 1 hour in the future.")
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and not isinstance(nbf, bool) and nbf > now:
        raise invalid_client("Client assertion is not valid yet (nbf).")
    return used


class AccessTokens:
    """Mints and verifies the bearer tokens the management API accepts."""

    def __init__(self, clock: Clock, lifetime: int = 3600):
        self.clock = clock
        self.lifetime = lifetime
        self._key = secrets.token_bytes(32)
        # Tokens for custom resources are signed with another key, so the management API (which
        # only accepts PingOne API tokens) rejects them as it would a foreign audience [I].
        self._resource_key = secrets.token_bytes(32)

    def mint(self, env_id: str, client_id: str, issuer: str, audience: str) -> str:
        now = int(self.clock.time())
        claims = {"iss": issuer, "sub": client_id, "aud": [audience], "client_id": client_id, "env": env_id,
                  "iat": now, "exp": now + self.lifetime, "jti": str(uuid.uuid4())}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def mint_for_resources(self, env_id: str, client_id: str, issuer: str, audiences: list[str], scopes: list[str],
                           lifetime: int) -> str:
        """A token for custom resources: `aud` their audiences, `scope` the granted scopes."""
        now = int(self.clock.time())
        claims = {"iss": issuer, "sub": client_id, "aud": audiences, "scope": " ".join(scopes),
                  "client_id": client_id, "env": env_id, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4())}
        return jwt.encode(claims, self._resource_key, algorithm="HS256")

    def verify(self, token: str) -> tuple[dict[str, Any] | None, str]:
        """Return (claims, "") or (None, reason)."""
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], options={
                "verify_exp": False, "verify_aud": False, "verify_iat": False, "verify_nbf": False})
        except jwt.PyJWTError:
            return None, "The access token is invalid."
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= self.clock.time():
            return None, "The access token has expired."
        return claims, ""
