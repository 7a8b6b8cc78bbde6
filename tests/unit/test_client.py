import json
import httpx
import pytest

from tests.unit.test_pacing import FakeClock

from pingone_operator.config import Secret
from pingone_operator.pingone.auth import TokenProvider
from pingone_operator.pingone.client import PingOneClient, RetryPolicy
from pingone_operator.pingone.errors import (
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unreachable,
    ValidationFailed,
    error_from_response,
)
from pingone_operator.pingone.pacing import RequestPacer

ENV = "abfba8f6-49eb-49f5-a5d9-80ad5c98f9f6"
API = "https://api.pingone.test/v1"
FAST = RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.002)


class Script:
    """Answers API requests from a list of responses; the token endpoint always succeeds."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.api_calls = []
        self.token_calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/as/token"):
            self.token_calls += 1
            return httpx.Response(200, json={"access_token": f"t{self.token_calls}", "expires_in": 3600})
        self.api_calls.append(request)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(item, Exception):
            raise item
        return item


def make_client(script, **kwargs):
    http = httpx.AsyncClient(transport=httpx.MockTransport(script))
    tokens = TokenProvider(http, f"https://auth.test/{ENV}/as/token", "w", Secret("s" * 64), "CLIENT_SECRET_BASIC")
    return PingOneClient(API, tokens, http, retry=kwargs.pop("retry", FAST), **kwargs)


def error(status, code, message, details=(), headers=None):
    body = {"id": "e1b2", "code": code, "message": message, "details": list(details)}
    return httpx.Response(status, json=body, headers=headers or {})


APP = {"id": "app-1", "name": "a", "updatedAt": "2026-04-20T16:24:35.314Z"}


async def test_get_sends_bearer_token_to_the_application_url():
    script = Script(httpx.Response(200, json=APP))
    client = make_client(script)
    assert await client.get_application(ENV, "app-1") == APP
    request = script.api_calls[0]
    assert request.url == f"{API}/environments/{ENV}/applications/app-1"
    assert request.headers["Authorization"] == "Bearer t1"


async def test_validation_error_keeps_pingone_message_and_targets_and_is_not_retried():
    detail = {"code": "INVALID_VALUE", "target": "redirectUris", "message": "Wildcards are not allowed in redirect URIs."}
    script = Script(error(400, "INVALID_DATA", "The request could not be completed.", [detail]))
    client = make_client(script)
    with pytest.raises(ValidationFailed) as err:
        await client.replace_application(ENV, "app-1", {"name": "a"})
    assert len(script.api_calls) == 1
    assert err.value.targets == ["redirectUris"]
    assert "redirectUris: Wildcards are not allowed" in str(err.value)
    assert "INVALID_DATA" in str(err.value)


async def test_401_refreshes_token_exactly_once_then_succeeds():
    script = Script(error(401, "ACCESS_FAILED", "expired"), httpx.Response(200, json=APP))
    client = make_client(script)
    assert await client.get_application(ENV, "app-1") == APP
    assert script.token_calls == 2
    assert [r.headers["Authorization"] for r in script.api_calls] == ["Bearer t1", "Bearer t2"]


async def test_401_twice_raises_authentication_failed():
    script = Script(error(401, "ACCESS_FAILED", "nope"))
    client = make_client(script)
    with pytest.raises(AuthenticationFailed):
        await client.get_application(ENV, "app-1")
    assert len(script.api_calls) == 2 and script.token_calls == 2


async def test_5xx_is_retried_with_backoff_then_succeeds():
    script = Script(error(503, "UNEXPECTED_ERROR", "down"), error(500, "UNEXPECTED_ERROR", "x"), httpx.Response(200, json=APP))
    client = make_client(script)
    assert await client.get_application(ENV, "app-1") == APP
    assert len(script.api_calls) == 3


async def test_retries_are_bounded():
    script = Script(error(500, "UNEXPECTED_ERROR", "down"))
    client = make_client(script)
    with pytest.raises(ServerError):
        await client.get_application(ENV, "app-1")
    assert len(script.api_calls) == FAST.attempts


async def test_timeouts_and_dropped_connections_are_retried():
    script = Script(httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), httpx.Response(200, json=APP))
    client = make_client(script)
    assert await client.get_application(ENV, "app-1") == APP
    assert len(script.api_calls) == 3


async def test_post_is_not_repeated_after_it_may_have_reached_pingone():
    for failure in (error(502, "UNEXPECTED_ERROR", "bad gateway"), httpx.ReadTimeout("slow")):
        script = Script(failure, httpx.Response(201, json=APP))
        client = make_client(script)
        with pytest.raises((ServerError, Unreachable)):
            await client.create_application(ENV, {"name": "a"})
        assert len(script.api_calls) == 1


async def test_post_is_retried_when_the_connection_was_refused():
    script = Script(httpx.ConnectError("refused"), httpx.Response(201, json=APP))
    client = make_client(script)
    assert await client.create_application(ENV, {"name": "a"}) == APP
    assert len(script.api_calls) == 2


async def test_429_pauses_the_pacer_for_retry_after():
    clock = FakeClock()
    script = Script(error(429, "REQUEST_LIMITED", "slow down", headers={"Retry-After": "7"}), httpx.Response(200, json=APP))
    client = make_client(script, pacer=RequestPacer(1000, clock=clock, sleep=clock.sleep))
    assert await client.get_application(ENV, "app-1") == APP
    assert len(script.api_calls) == 2
    assert 7 <= clock.slept <= 7.5  # Retry-After plus a little jitter, waited before the retry


async def test_a_call_that_waits_for_the_budget_reports_how_long():
    class Waits:
        def __init__(self):
            self.seconds = []

        def paced(self, seconds):
            self.seconds.append(seconds)

        def response(self, *args):
            pass

    clock = FakeClock()
    script, waits = Script(httpx.Response(200, json=APP)), Waits()
    client = make_client(script, pacer=RequestPacer(rate=20, burst=1, clock=clock, sleep=clock.sleep),
                         observer=waits)
    await client.get_application(ENV, "app-1")  # the budget's one token: no wait, nothing reported
    assert waits.seconds == []
    await client.get_application(ENV, "app-1")  # queued for the next token
    assert len(waits.seconds) == 1 and waits.seconds[0] >= 0
    assert clock.slept == pytest.approx(1 / 20)


async def test_429_is_not_retried_forever():
    script = Script(error(429, "REQUEST_LIMITED", "slow down", headers={"Retry-After": "0"}))
    client = make_client(script)
    with pytest.raises(RateLimited) as err:
        await client.get_application(ENV, "app-1")
    assert err.value.retry_after == 0
    assert len(script.api_calls) == FAST.attempts


async def test_delete_treats_404_as_already_gone():
    script = Script(error(404, "NOT_FOUND", "The requested resource object cannot be found."))
    client = make_client(script)
    assert await client.delete_application(ENV, "app-1") is False
    script = Script(httpx.Response(204))
    assert await make_client(script).delete_application(ENV, "app-1") is True


async def test_find_by_name_asks_pingone_to_filter_and_still_compares_names():
    page = {"_embedded": {"applications": [{"id": "2", "name": 'My "App"'}]}, "count": 1}
    script = Script(httpx.Response(200, json=page))
    client = make_client(script)
    assert (await client.find_application_by_name(ENV, 'My "App"'))["id"] == "2"
    assert script.api_calls[0].url.params["filter"] == 'name eq "My \\"App\\""'
    script = Script(httpx.Response(200, json=page))
    assert await make_client(script).find_application_by_name(ENV, "My") is None  # an ignored filter is harmless


async def test_find_by_name_falls_back_to_the_whole_list_when_the_filter_is_refused():
    page = {"_embedded": {"applications": [{"id": "1", "name": "x"}]}}
    script = Script(error(400, "INVALID_DATA", "bad filter", [{"code": "INVALID_FILTER"}]), httpx.Response(200, json=page))
    client = make_client(script)
    assert (await client.find_application_by_name(ENV, "x"))["id"] == "1"
    assert "filter" not in script.api_calls[1].url.params


async def test_find_by_name_reads_the_hal_list():
    page = {"_embedded": {"applications": [{"id": "1", "name": "x"}, {"id": "2", "name": "Shared-Web-App"}]}, "count": 2}
    client = make_client(Script(httpx.Response(200, json=page)))
    assert (await client.find_application_by_name(ENV, "Shared-Web-App"))["id"] == "2"
    client = make_client(Script(httpx.Response(200, json=page)))
    assert await client.find_application_by_name(ENV, "missing") is None


async def test_rotate_secret_computes_previous_expiry_at_send_time_never_under_pingones_minimum():
    from datetime import datetime, timedelta, timezone

    script = Script(httpx.Response(200, json={"secret": "new"}))
    client = make_client(script)
    before = datetime.now(timezone.utc)
    answer, sent = await client.rotate_secret(ENV, "app-1", 60)
    stamp = json.loads(script.api_calls[0].content)["previous"]["expiresAt"]
    assert stamp.endswith("Z") and len(stamp) == len("2026-12-01T10:00:00.000Z")
    assert stamp == sent.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    # 60 s is PingOne's minimum at arrival: the request carries a margin over it.
    assert sent - before >= timedelta(seconds=65)
    assert answer == {"secret": "new"}


@pytest.mark.parametrize(
    "status, kind",
    [(400, ValidationFailed), (401, AuthenticationFailed), (403, PermissionDenied), (404, NotFound),
     (429, RateLimited), (500, ServerError), (503, ServerError)],
)
def test_error_mapping_by_status(status, kind):
    exc = error_from_response(status, {"id": "1", "code": "C", "message": "m"}, {"Retry-After": "3"})
    assert type(exc) is kind
    assert exc.error_id == "1" and exc.code == "C" and exc.status == status


def test_error_mapping_survives_a_non_json_body():
    exc = error_from_response(502, None)
    assert isinstance(exc, ServerError) and "HTTP 502" in str(exc)


async def test_list_follows_every_page():
    pages = [
        {"_embedded": {"applications": [{"id": "1", "name": "a"}]},
         "_links": {"next": {"href": f"{API}/environments/{ENV}/applications?cursor=2"}}},
        {"_embedded": {"applications": [{"id": "2", "name": "b"}]},
         "_links": {"next": {"href": f"{API}/environments/{ENV}/applications?cursor=3"}}},
        {"_embedded": {"applications": [{"id": "3", "name": "target"}]}, "_links": {}},
    ]
    script = Script(*(httpx.Response(200, json=p) for p in pages))
    assert (await make_client(script).find_application_by_name(ENV, "target"))["id"] == "3"
    assert [c.url.params.get("cursor") for c in script.api_calls] == [None, "2", "3"]


async def test_find_by_name_copes_with_an_ignored_filter_across_pages():
    pages = [
        {"_embedded": {"applications": [{"id": "1", "name": "other"}]},
         "_links": {"next": {"href": f"{API}/environments/{ENV}/applications?cursor=2"}}},
        {"_embedded": {"applications": [{"id": "2", "name": "wanted"}]}},
    ]
    script = Script(*(httpx.Response(200, json=p) for p in pages))
    assert (await make_client(script).find_application_by_name(ENV, "wanted"))["id"] == "2"


@pytest.mark.parametrize("answer", [
    httpx.Response(200, text="<html><body>Gateway says hello</body></html>", headers={"Content-Type": "text/html"}),
    httpx.Response(200, text='{"id": "app-1", "na', headers={"Content-Type": "application/json"}),
    httpx.Response(200, json=["not", "an", "object"]),
])
async def test_a_2xx_that_is_not_a_json_object_is_a_typed_retryable_error(answer):
    from pingone_operator.pingone.errors import MalformedResponse

    script = Script(answer)
    with pytest.raises(MalformedResponse) as failed:
        await make_client(script).get_application(ENV, "app-1")
    assert failed.value.retryable
    assert len(script.api_calls) == FAST.attempts  # a GET is retried, then the error is typed
    assert "Gateway says hello" not in str(failed.value)


async def test_an_application_answer_without_id_is_a_typed_error_and_a_post_is_not_repeated():
    from pingone_operator.pingone.errors import MalformedResponse

    script = Script(httpx.Response(201, json={"name": "a"}))
    with pytest.raises(MalformedResponse):
        await make_client(script).create_application(ENV, {"name": "a"})
    assert len(script.api_calls) == 1
    script = Script(httpx.Response(200, text="<html></html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(MalformedResponse):
        await make_client(script).create_application(ENV, {"name": "a"})
    assert len(script.api_calls) == 1  # it may have created the application: the caller recovers by name
