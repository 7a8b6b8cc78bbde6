import asyncio
import base64
import urllib.parse

import httpx
import jwt
import pytest

from pingone_operator.config import Secret
from pingone_operator.pingone.auth import JWT_BEARER, TokenProvider, client_assertion
from pingone_operator.pingone.errors import TokenRequestFailed, Unreachable

TOKEN_URL = "https://auth.pingone.com/abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6/as/token"
SECRET = "x" * 64


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def token_server(seen, lifetime=3600, status=200):
    counter = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        counter["n"] += 1
        if status != 200:
            return httpx.Response(status, json={"error": "invalid_client", "error_description": "bad client"})
        return httpx.Response(200, json={"access_token": f"token-{counter['n']}", "token_type": "Bearer",
                                         "expires_in": lifetime})

    return handler


def form(request):
    return dict(urllib.parse.parse_qsl(request.content.decode()))


async def provider(seen, method, **kwargs):
    clock = kwargs.pop("clock", Clock())
    http = httpx.AsyncClient(transport=httpx.MockTransport(token_server(seen, **kwargs)))
    return TokenProvider(http, TOKEN_URL, "worker-id", Secret(SECRET), method, clock=clock), clock


async def test_client_secret_basic_uses_authorization_header_only():
    seen = []
    tokens, _ = await provider(seen, "CLIENT_SECRET_BASIC")
    assert await tokens.token() == "token-1"
    request = seen[0]
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"worker-id:{SECRET}".encode()).decode()
    assert form(request) == {"grant_type": "client_credentials"}


async def test_client_secret_post_sends_credentials_in_form():
    seen = []
    tokens, _ = await provider(seen, "CLIENT_SECRET_POST")
    await tokens.token()
    assert "Authorization" not in seen[0].headers
    assert form(seen[0]) == {"grant_type": "client_credentials", "client_id": "worker-id", "client_secret": SECRET}


async def test_client_secret_jwt_sends_rfc7523_assertion_and_no_secret():
    seen = []
    tokens, _ = await provider(seen, "CLIENT_SECRET_JWT")
    await tokens.token()
    body = form(seen[0])
    assert SECRET not in seen[0].content.decode() and "Authorization" not in seen[0].headers
    assert body["client_assertion_type"] == JWT_BEARER
    header = jwt.get_unverified_header(body["client_assertion"])
    assert header["alg"] == "HS256"
    claims = jwt.decode(body["client_assertion"], SECRET, algorithms=["HS256"], audience=TOKEN_URL)
    assert claims["iss"] == claims["sub"] == "worker-id"
    assert claims["aud"] == TOKEN_URL
    assert 0 < claims["exp"] - claims["iat"] <= 3600


def test_assertion_has_fresh_jti_each_time():
    a = jwt.decode(client_assertion("c", SECRET, TOKEN_URL), SECRET, algorithms=["HS256"], audience=TOKEN_URL)
    b = jwt.decode(client_assertion("c", SECRET, TOKEN_URL), SECRET, algorithms=["HS256"], audience=TOKEN_URL)
    assert a["jti"] != b["jti"]


def test_assertion_signed_with_wrong_secret_does_not_verify():
    token = client_assertion("c", SECRET, TOKEN_URL)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "y" * 64, algorithms=["HS256"], audience=TOKEN_URL)


async def test_token_is_cached_until_close_to_expiry():
    seen = []
    tokens, clock = await provider(seen, "CLIENT_SECRET_BASIC", lifetime=3600)
    assert await tokens.token() == "token-1"
    clock.now += 3000
    assert await tokens.token() == "token-1"
    assert len(seen) == 1
    clock.now += 560  # within the refresh margin of expiry
    assert await tokens.token() == "token-2"
    assert len(seen) == 2


async def test_invalidate_forgets_only_the_stale_token():
    seen = []
    tokens, _ = await provider(seen, "CLIENT_SECRET_BASIC")
    first = await tokens.token()
    tokens.invalidate("some-other-token")
    assert await tokens.token() == first
    tokens.invalidate(first)
    assert await tokens.token() == "token-2"


async def test_concurrent_callers_share_one_token_request():
    seen = []
    tokens, _ = await provider(seen, "CLIENT_SECRET_JWT")
    results = await asyncio.gather(*(tokens.token() for _ in range(20)))
    assert set(results) == {"token-1"}
    assert len(seen) == 1


async def test_refused_credentials_raise_without_the_secret():
    seen = []
    tokens, _ = await provider(seen, "CLIENT_SECRET_POST", status=401)
    with pytest.raises(TokenRequestFailed) as err:
        await tokens.token()
    assert err.value.status == 401
    assert "bad client" in str(err.value)
    assert SECRET not in str(err.value)


async def test_unreachable_token_endpoint():
    def boom(request):
        raise httpx.ConnectError("refused")

    http = httpx.AsyncClient(transport=httpx.MockTransport(boom))
    tokens = TokenProvider(http, TOKEN_URL, "w", Secret(SECRET), "CLIENT_SECRET_BASIC")
    with pytest.raises(Unreachable):
        await tokens.token()


async def test_a_failed_token_request_answers_every_waiting_caller():
    seen = []
    tokens, clock = await provider(seen, "CLIENT_SECRET_BASIC", status=503)
    results = await asyncio.gather(*(tokens.token() for _ in range(10)), return_exceptions=True)
    assert all(isinstance(r, TokenRequestFailed) for r in results)
    assert len(seen) == 1  # one request for the outage, not one per caller
    clock.now += 2
    with pytest.raises(TokenRequestFailed):
        await tokens.token()
    assert len(seen) == 2  # after the hold, it tries again


async def test_token_requests_go_through_the_pacer():
    from pingone_operator.pingone.pacing import RequestPacer

    class CountingPacer(RequestPacer):
        acquired = 0

        async def acquire(self):
            CountingPacer.acquired += 1

    seen = []
    http = httpx.AsyncClient(transport=httpx.MockTransport(token_server(seen)))
    tokens = TokenProvider(http, TOKEN_URL, "w", Secret(SECRET), "CLIENT_SECRET_BASIC", pacer=CountingPacer(10))
    await tokens.token()
    assert CountingPacer.acquired == 1


async def test_a_429_without_retry_after_backs_off_exponentially():
    seen = []
    tokens, clock = await provider(seen, "CLIENT_SECRET_BASIC", status=429)
    holds = []
    for _ in range(4):
        with pytest.raises(TokenRequestFailed) as failed:
            await tokens.token()
        holds.append(failed.value.retry_after)
        with pytest.raises(TokenRequestFailed):
            await tokens.token()  # asked again at once: answered from the hold, no request
        clock.now += failed.value.retry_after + 0.01
    assert len(seen) == 4
    # 2, 4, 8, 16 s, each with up to half taken off as jitter: never "at once"
    for n, hold in enumerate(holds, start=1):
        assert 2.0**n / 2 <= hold <= 2.0**n
