"""Shared pieces of the reliability suite: bulk creation, convergence checks, leak scans, sampling.

Everything talks to the API server through the session's kubernetes ApiClient (one HTTP call per
list, not one kubectl process per object), so a batch of 200 resources stays cheap to watch on a
small machine.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from pingone_operator.config import Secret
from pingone_operator.pingone.auth import token_request
from tests.e2e.helpers import API_VERSION, SEED, SimulatorAdmin

GROUP, VERSION, PLURAL = "pingone-operator.dev", "v1alpha1", "pingoneapplications"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
# The operator's environment in this suite: DEBUG logs (the leak scans read them) and no drift
# ticks in the middle of a measurement unless a test asks for them.
BASE_ENV = {"LOG_LEVEL": "DEBUG", "DRIFT_INTERVAL_SECONDS": "600"}
FAILURE_REASONS = {"PingOneUnavailable", "RateLimited", "AuthenticationFailed", "PermissionDenied"}


def spec_for(app_name: str, **extra: Any) -> dict[str, Any]:
    return {**SEED, "name": app_name, **extra}


def resource(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "PingOneApplication", "metadata": {"name": name}, "spec": spec}


# ----------------------------------------------------------------------------------------------
# Kubernetes side
# ----------------------------------------------------------------------------------------------

class Cluster:
    """The test's namespace through the python client."""

    def __init__(self, api_client: Any, namespace: str) -> None:
        self.api_client = api_client
        self.ns = namespace
        self.custom = k8s.CustomObjectsApi(api_client)
        self.core = k8s.CoreV1Api(api_client)

    def create(self, obj: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        return self.custom.create_namespaced_custom_object(GROUP, VERSION, namespace or self.ns, PLURAL, obj)

    def create_many(self, objs: Iterable[dict[str, Any]], workers: int = 8) -> None:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(self.create, objs))

    def apps(self, namespace: str | None = None) -> list[dict[str, Any]]:
        for attempt in range(20):  # tolerate an API server that is just coming back
            try:
                return self.custom.list_namespaced_custom_object(GROUP, VERSION, namespace or self.ns, PLURAL)["items"]
            except (ApiException, OSError, Exception) as exc:  # noqa: BLE001 - urllib3 errors vary
                if attempt == 19:
                    raise
                last = exc
                time.sleep(0.5)
        raise AssertionError(last)  # pragma: no cover

    def secrets(self, namespace: str | None = None) -> dict[str, dict[str, str]]:
        items = self.core.list_namespaced_secret(namespace or self.ns).items
        return {s.metadata.name: {k: base64.b64decode(v).decode() for k, v in (s.data or {}).items()} for s in items}

    def events(self, namespace: str | None = None) -> list[Any]:
        return self.core.list_namespaced_event(namespace or self.ns).items

    def event_reasons(self, namespace: str | None = None) -> Counter[str]:
        return Counter(e.reason for e in self.events(namespace))


def ready_condition(obj: dict[str, Any]) -> dict[str, Any]:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c
    return {}


def is_ready(obj: dict[str, Any]) -> bool:
    return ready_condition(obj).get("status") == "True" and bool((obj.get("status") or {}).get("applicationId"))


def wait_all_ready(cluster: Cluster, count: int, timeout: float, namespace: str | None = None,
                   progress: Callable[[str], None] | None = print) -> list[dict[str, Any]]:
    """Wait until `count` resources exist and all are Ready; fail listing the stragglers."""
    deadline = time.monotonic() + timeout
    next_note = time.monotonic() + 15
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        items = cluster.apps(namespace)
        done = [o for o in items if is_ready(o)]
        if len(items) == count and len(done) == count:
            return items
        if progress and time.monotonic() > next_note:
            progress(f"  ... {len(done)}/{count} Ready")
            next_note = time.monotonic() + 15
        time.sleep(1.0)
    stragglers = {o["metadata"]["name"]: ready_condition(o) for o in items if not is_ready(o)}
    raise AssertionError(f"after {timeout:.0f}s {len(items) - len(stragglers)}/{count} Ready; "
                         f"not Ready: {json.dumps(dict(list(stragglers.items())[:10]), indent=1)}")


class ConditionSampler:
    """Polls the namespace's resources in a thread and remembers every Ready=False reason seen."""

    def __init__(self, cluster: Cluster, interval: float = 0.5) -> None:
        self.cluster = cluster
        self.interval = interval
        self.seen: dict[str, set[str]] = defaultdict(set)  # reason -> resource names
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="condition-sampler")

    def __enter__(self) -> ConditionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                items = self.cluster.custom.list_namespaced_custom_object(GROUP, VERSION, self.cluster.ns, PLURAL)
            except Exception:  # noqa: BLE001 - the API server may be down on purpose
                time.sleep(self.interval)
                continue
            self.samples += 1
            for obj in items["items"]:
                cond = ready_condition(obj)
                if cond.get("status") == "False":
                    self.seen[cond.get("reason", "")].add(obj["metadata"]["name"])
            self._stop.wait(self.interval)

    def summary(self) -> dict[str, int]:
        return {reason: len(names) for reason, names in sorted(self.seen.items())}


# ----------------------------------------------------------------------------------------------
# PingOne side
# ----------------------------------------------------------------------------------------------

class Admin(SimulatorAdmin):
    """SimulatorAdmin plus the bits this suite needs."""

    def __init__(self, simulator: Any) -> None:
        super().__init__(simulator)
        self.simulator = simulator

    def all_requests(self) -> list[dict[str, Any]]:
        return self.http.get("/requests").raise_for_status().json()["requests"]

    def reset_faults(self) -> None:
        self.http.delete("/faults").raise_for_status()

    def fail_next(self, count: int, status: int, method: str = "*", path_regex: str = ".*") -> None:
        self.http.post("/faults/fail-next", json={"count": count, "status": status, "method": method,
                                                   "path_regex": path_regex}).raise_for_status()

    def settings(self, **values: Any) -> dict[str, Any]:
        return self.http.put("/settings", json=values).raise_for_status().json()

    def advance_clock(self, seconds: float) -> None:
        self.http.post("/clock/advance", json={"seconds": seconds}).raise_for_status()

    def mint_token(self) -> str:
        """An access token for the worker, fetched the way the operator fetches its own."""
        sim = self.simulator
        url = f"{sim.auth_url}/{sim.environment_id}/as/token"
        response = httpx.post(url, timeout=10, **token_request(sim.auth_method, sim.client_id,
                                                               Secret(sim.client_secret), url))
        response.raise_for_status()
        return response.json()["access_token"]


@dataclass
class RequestStats:
    """The simulator's request log, attributed to applications (by id in the path, by name in a POST body)."""

    entries: list[dict[str, Any]]
    by_status: Counter[str] = field(default_factory=Counter)
    by_fault: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for e in self.entries:
            self.by_status[str(e["status"])] += 1
            if e.get("fault"):
                self.by_fault[e["fault"]] += 1

    def for_app(self, app_id: str, app_name: str) -> list[dict[str, Any]]:
        out = []
        for e in self.entries:
            if f"/applications/{app_id}" in e["path"]:
                out.append(e)
            elif e["method"] == "POST" and e["path"].endswith("/applications") and \
                    isinstance(e.get("body"), dict) and e["body"].get("name") == app_name:
                out.append(e)
        return out

    def posts_by_name(self) -> Counter[str]:
        return Counter(e["body"]["name"] for e in self.entries
                       if e["method"] == "POST" and e["path"].endswith("/applications") and isinstance(e.get("body"), dict))

    def count(self, method: str | None = None, status: int | None = None, suffix: str | None = None) -> int:
        return sum(1 for e in self.entries if (method is None or e["method"] == method)
                   and (status is None or e["status"] == status)
                   and (suffix is None or e["path"].endswith(suffix)))


def assert_converged(cluster: Cluster, admin: Admin, items: list[dict[str, Any]], app_names: set[str]) -> dict[str, Any]:
    """Every resource Ready, one application per name, no orphan, every Secret right. Returns figures."""
    apps = admin.apps()
    ours = [a for a in apps if a["name"] in app_names]
    per_name = Counter(a["name"] for a in ours)
    duplicates = {n: c for n, c in per_name.items() if c > 1}
    missing = app_names - set(per_name)
    referenced = Counter((o.get("status") or {}).get("applicationId") for o in items)
    orphans = [a for a in ours if referenced[a["id"]] != 1]
    dangling = [o["metadata"]["name"] for o in items if admin.app(o["status"]["applicationId"]) is None]
    secrets = cluster.secrets()
    wrong_secrets = []
    for obj in items:
        status = obj["status"]
        stored = secrets.get(status.get("secretName") or f"{obj['metadata']['name']}-oidc") or {}
        truth = admin.secret(status["applicationId"])["secret"]
        if stored.get("client-secret") != truth or stored.get("client-id") != status["clientId"]:
            wrong_secrets.append(obj["metadata"]["name"])
    figures = {"applications": len(ours), "duplicates": duplicates, "missing": sorted(missing),
               "orphans": [a["id"] for a in orphans], "dangling": dangling, "wrong_secrets": wrong_secrets}
    assert not duplicates, f"applications created more than once: {duplicates}"
    assert not missing, f"no application for: {sorted(missing)[:10]}"
    assert not orphans, f"applications no resource references exactly once: {figures['orphans'][:10]}"
    assert not dangling, f"resources pointing at no application: {dangling[:10]}"
    assert not wrong_secrets, f"Secrets not matching PingOne: {wrong_secrets[:10]}"
    return figures


# ----------------------------------------------------------------------------------------------
# Secret hygiene
# ----------------------------------------------------------------------------------------------

def leak_scan(*, operator_logs: Iterable[str], cluster: Cluster, admin: Admin, namespaces: Iterable[str] = (),
              extra_secrets: Iterable[str] = ()) -> dict[str, Any]:
    """Search the operator's logs, every Event, every resource (status, annotations) for secrets and tokens.

    Needles: every client secret the simulator holds (current and previous), the worker's secret,
    a freshly minted access token; and any JWT-looking string at all. Returns the figures; the
    caller asserts `hits == []`.
    """
    needles: dict[str, str] = {"worker client secret": admin.simulator.client_secret}
    for app in admin.apps():
        secret = admin.secret(app["id"])
        needles[f"client secret of {app['name']}"] = secret["secret"]
        previous = (secret.get("previous") or {}).get("secret")
        if previous:
            needles[f"previous client secret of {app['name']}"] = previous
    token = admin.mint_token()
    needles["an access token"] = token
    needles["an access token's signature"] = token.rsplit(".", 1)[-1]
    for i, extra in enumerate(extra_secrets):
        needles[f"extra secret {i}"] = extra

    haystacks: dict[str, str] = {}
    for i, text in enumerate(operator_logs):
        haystacks[f"operator log {i}"] = text
    for ns in {cluster.ns, *namespaces}:
        events = cluster.events(ns)
        haystacks[f"events in {ns}"] = json.dumps(
            [{"reason": e.reason, "message": e.message, "note": getattr(e, "note", None)} for e in events])
        objs = cluster.apps(ns)
        haystacks[f"resources in {ns}"] = json.dumps(
            [{"annotations": o["metadata"].get("annotations"), "status": o.get("status")} for o in objs])
    hits: list[str] = []
    for where, text in haystacks.items():
        for what, needle in needles.items():
            if needle and needle in text:
                hits.append(f"{what} in {where}")
        for match in JWT.finditer(text):
            hits.append(f"JWT-looking string in {where}: {match.group()[:24]}...")
    scanned = sum(len(t) for t in haystacks.values())
    return {"needles": len(needles), "scanned_chars": scanned, "hits": hits}


# ----------------------------------------------------------------------------------------------
# A TCP proxy in front of the API server, for the operator only
# ----------------------------------------------------------------------------------------------

class TcpProxy:
    """Forwards 127.0.0.1:<port> to the API server; `cut()` drops every connection and refuses new
    ones until `restore()`. Lets a test hold the operator's connection down a little longer than
    the API server's own outage, so that objects are surely created before its watch reconnects."""

    def __init__(self, target_host: str, target_port: int) -> None:
        import socket

        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._conns: set[Any] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    def _accept(self) -> None:
        import socket

        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: Any, dst: Any) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._drop(s)

    def _drop(self, sock: Any) -> None:
        import socket

        with self._lock:
            self._conns.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def cut(self) -> None:
        self._open.clear()
        with self._lock:
            conns = list(self._conns)
        for sock in conns:
            self._drop(sock)

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self._listener.close()

    def kubeconfig(self, control_plane: Any, path: Any) -> Any:
        """A copy of the admin kubeconfig that goes through this proxy (same CA: the certificate is for 127.0.0.1)."""
        config = json.loads(open(control_plane.kubeconfig).read())
        config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{self.port}"
        with open(path, "w") as fh:
            json.dump(config, fh)
        return path
