"""The baseline: a bare script doing the minimum a correct operator must for one new application,
with httpx and the kubernetes client and no framework (no kopf, no watch, no queue, no pacing, no
retries, no crash safety):

1. PingOne: POST the application
2. PingOne: GET the client secret
3. Kubernetes: create the Secret
4. Kubernetes: one status patch (identity, `Ready=True`)

The operator does more on top (issue #17): the create intent in status before the POST (crash
safety: one more status patch), kopf's record of the handler in the final status patch, and a
`Created` Event. The finalizer costs no write of its own: the chart's admission policy adds it
with the create.

The access token (CLIENT_SECRET_JWT: an HS256 assertion signed with the worker's secret) is
fetched once and cached, as the operator does.

    python -m bench.baseline --help   # standalone against a running simulator and cluster
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx
import kubernetes
from kubernetes.client import ApiClient, CoreV1Api, CustomObjectsApi

from pingone_operator.api import OPERATOR_FIELDS  # the spec's fields that are not PingOne's

GROUP, VERSION, PLURAL, KIND = "pingone-operator.dev", "v1alpha1", "pingoneapplications", "PingOneApplication"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def client_assertion(client_id: str, secret: str, audience: str) -> str:
    now = int(time.time())
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = _b64url(json.dumps({"iss": client_id, "sub": client_id, "aud": audience, "iat": now,
                                 "exp": now + 300, "jti": str(uuid.uuid4())}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64url(signature)}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class Pace:
    """At most `rate` calls per second across threads, as the operator's pacer spaces them."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = clock()
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            now = self._clock()
            at = max(now, self._next)
            self._next = at + self._interval
        self._sleep(at - now)


class Baseline:
    def __init__(self, *, api_url: str, auth_url: str, environment_id: str, client_id: str,
                 client_secret: str, api: ApiClient, pace: Pace | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.auth_url = auth_url.rstrip("/")
        self.env = environment_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = httpx.Client(timeout=30, headers={"User-Agent": "pingone-bench-baseline"})
        self.core = CoreV1Api(api)
        self.custom = CustomObjectsApi(api)
        self._token: tuple[str, float] | None = None
        self._pace = pace  # before each PingOne API call (not the token's)

    def close(self) -> None:
        self.http.close()

    def token(self) -> str:
        if self._token and time.monotonic() < self._token[1] - 60:
            return self._token[0]
        token_url = f"{self.auth_url}/{self.env}/as/token"
        r = self.http.post(token_url, data={
            "grant_type": "client_credentials", "client_id": self.client_id,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion(self.client_id, self.client_secret, token_url)})
        r.raise_for_status()
        body = r.json()
        self._token = (body["access_token"], time.monotonic() + float(body.get("expires_in", 3600)))
        return self._token[0]

    def _p1(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        token = self.token()
        if self._pace:
            self._pace()
        r = self.http.request(method, f"{self.api_url}{path}", headers={"Authorization": f"Bearer {token}"},
                              **kwargs)
        r.raise_for_status()
        return r.json() if r.content else {}

    def _status(self, namespace: str, name: str, fields: dict[str, Any]) -> None:
        self.custom.patch_namespaced_custom_object_status(GROUP, VERSION, namespace, PLURAL, name,
                                                          {"status": fields})

    def provision(self, namespace: str, name: str, spec: dict[str, Any], uid: str, generation: int = 1) -> str:
        """Make one application Ready; returns its client id."""
        env = self.env
        body = {k: v for k, v in spec.items() if k not in OPERATOR_FIELDS}
        app = self._p1("POST", f"/environments/{env}/applications", json=body)
        client_id = app.get("clientId", app["id"])
        secret = self._p1("GET", f"/environments/{env}/applications/{app['id']}/secret")["secret"]
        secret_name = f"{name}-oidc"
        data = {"client-id": client_id, "client-secret": secret, "environment-id": env,
                "issuer": f"{self.auth_url}/{env}/as", "token-endpoint": f"{self.auth_url}/{env}/as/token",
                "token-endpoint-auth-method": app.get("tokenEndpointAuthMethod", "CLIENT_SECRET_JWT")}
        self.core.create_namespaced_secret(namespace, {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": secret_name, "namespace": namespace,
                         "labels": {"app.kubernetes.io/managed-by": "pingone-bench-baseline"},
                         "ownerReferences": [{"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND, "name": name,
                                              "uid": uid, "controller": True, "blockOwnerDeletion": True}]},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}})
        now = _now()
        self._status(namespace, name, {
            "applicationId": app["id"], "clientId": client_id, "environmentId": env,
            "updatedAt": app.get("updatedAt"), "secretName": secret_name, "observedGeneration": generation,
            "conditions": [
                {"type": "Synced", "status": "True", "reason": "Synced", "message": "PingOne matches the spec",
                 "lastTransitionTime": now, "observedGeneration": generation},
                {"type": "Ready", "status": "True", "reason": "Ready", "message": "baseline",
                 "lastTransitionTime": now, "observedGeneration": generation}]})
        return client_id


def main(argv: list[str] | None = None) -> int:
    """Create `--count` PingOneApplications in a namespace no operator watches and provision each."""
    p = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--namespace", required=True)
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--prefix", default="baseline")
    args = p.parse_args(argv)
    env = os.environ
    configuration = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(client_configuration=configuration)
    api = ApiClient(configuration)
    base = Baseline(api_url=env["PINGONE_API_URL"], auth_url=env["PINGONE_AUTH_URL"],
                    environment_id=env["PINGONE_ENVIRONMENT_ID"], client_id=env["PINGONE_CLIENT_ID"],
                    client_secret=env["PINGONE_CLIENT_SECRET"], api=api)
    custom = CustomObjectsApi(api)
    from .harness import resource_body

    times = []
    for i in range(args.count):
        name = f"{args.prefix}-{i:04d}"
        t = time.perf_counter()
        obj = custom.create_namespaced_custom_object(GROUP, VERSION, args.namespace, PLURAL,
                                                     resource_body(name, f"{args.prefix}-{uuid.uuid4().hex[:8]}"))
        base.provision(args.namespace, name, obj["spec"], obj["metadata"]["uid"])
        times.append(time.perf_counter() - t)
    times.sort()
    print(f"{len(times)} applications; p50 {times[len(times) // 2] * 1000:.1f} ms", file=sys.stderr)
    base.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
