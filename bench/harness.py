"""What every benchmark needs: the control plane (with an audit log), the simulator and the operator
as subprocesses (started by the test bed's launcher), a watch that timestamps Ready, bulk creation,
and /proc readings of the operator.
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime as dt
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import kubernetes
import yaml
from kubernetes.client import ApiClient, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api
from kubernetes.client.exceptions import ApiException

from testbed.cluster import ControlPlane, find_binaries, serviceaccount_kubeconfig
from testbed.launcher import Launcher, child_env, install_crds, operator_command
from testbed.process import ManagedProcess

ROOT = Path(__file__).resolve().parents[1]
GROUP, VERSION, PLURAL, KIND = "pingone-operator.dev", "v1alpha1", "pingoneapplications", "PingOneApplication"
MUTATING_POLICY_API = "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy"
BASELINE_LABEL = "bench.pingone-operator.dev/baseline"  # on the baseline's namespaces
OPERATOR_NS, OPERATOR_SA = "bench-system", "pingone-operator"
OPERATOR_USER = f"system:serviceaccount:{OPERATOR_NS}:{OPERATOR_SA}"
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})

# The seed application (the body of PingOne's "Update Application" request); `name` varies.
SEED_SPEC: dict[str, Any] = {
    "enabled": True,
    "name": "Shared-Web-App",
    "description": "Application using CLIENT_SECRET_JWT - a JWT signed with the client secret is used for "
                   "authentication. Provides enhanced security with non-repudiation.",
    "type": "WEB_APP",
    "protocol": "OPENID_CONNECT",
    "grantTypes": ["AUTHORIZATION_CODE"],
    "redirectUris": ["http://localhost:3000/callback"],
    "responseTypes": ["CODE"],
    "tokenEndpointAuthMethod": "CLIENT_SECRET_JWT",
}

_T0 = time.monotonic()


def wall_seconds(timestamp: str) -> float:
    """An RFC 3339 timestamp (the simulator's, the audit log's) as seconds since the epoch."""
    return dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def answer_times(requests: list[dict[str, Any]]) -> list[float]:
    """When each of the simulator's logged requests was answered, on this process's monotonic clock."""
    offset = time.time() - time.monotonic()
    return [wall_seconds(r["timestamp"]) - offset for r in requests]


def status_patch_times(audit: list[dict[str, Any]]) -> dict[tuple[str, str], list[float]]:
    """When the API server answered each status patch of a PingOneApplication, per (namespace,
    name), on this process's monotonic clock."""
    offset = time.time() - time.monotonic()
    out: dict[tuple[str, str], list[float]] = collections.defaultdict(list)
    for event in audit:
        ref = event.get("objectRef") or {}
        if event.get("verb") == "patch" and ref.get("resource") == PLURAL and ref.get("subresource") == "status":
            out[(ref.get("namespace", ""), ref.get("name", ""))].append(wall_seconds(event["stageTimestamp"]) - offset)
    return out


def progress(message: str) -> None:
    elapsed = time.monotonic() - _T0
    print(f"[bench {int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}] {message}", flush=True)


# Where the children import pingone_operator from: a copy taken when the bench starts (see
# snapshot_operator), so every phase of a long run measures the same code even if the working
# tree changes meanwhile.
SOURCE_DIR: Path | None = None


def snapshot_operator(dest: Path) -> str:
    """Copy operator/pingone_operator into `dest`; returns a short digest of the copied sources."""
    import hashlib

    src = ROOT / "operator" / "pingone_operator"
    shutil.copytree(src, dest / "pingone_operator", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    digest = hashlib.sha256()
    for path in sorted((dest / "pingone_operator").rglob("*.py")):
        digest.update(path.relative_to(dest).as_posix().encode() + b"\0" + path.read_bytes())
    global SOURCE_DIR
    SOURCE_DIR = dest
    return digest.hexdigest()[:12]


def snapshot_env() -> dict[str, str]:
    """PYTHONPATH that makes a child import the copy of pingone_operator (ahead of the checkout)."""
    paths = [str(p) for p in (SOURCE_DIR, os.environ.get("PYTHONPATH")) if p]
    return {"PYTHONPATH": os.pathsep.join(paths)} if paths else {}


def image_env(dockerfile: Path = ROOT / "Dockerfile") -> dict[str, str]:
    """The run-time settings the final stage's `ENV` gives the operator (MALLOC_ARENA_MAX, PYTHON*), so
    that the bench measures the process as it runs in a pod; paths (PATH, TMPDIR) stay this machine's."""
    text = dockerfile.read_text()
    env = {}
    for line in text.rsplit("\nENV ", 1)[1].splitlines():  # the last stage: the image that runs
        line = line.strip()
        if line.startswith("#"):
            continue
        key, _, value = line.rstrip("\\").strip().partition("=")
        if key and key not in ("PATH", "TMPDIR"):
            env[key] = value
        if not line.endswith("\\"):
            break
    return env


def resource_body(name: str, app_name: str) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND,
            "metadata": {"name": name}, "spec": {**SEED_SPEC, "name": app_name}}


def is_ready(obj: dict[str, Any]) -> bool:
    status = obj.get("status") or {}
    if not status.get("clientId"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


# ------------------------------------------------------------------------------------------------
# /proc readings
# ------------------------------------------------------------------------------------------------

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident set size in MB (10^6 bytes): VmRSS now, or VmHWM, its peak since the process started."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no {field} for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


# ------------------------------------------------------------------------------------------------
# Audit log: the operator's Kubernetes requests
# ------------------------------------------------------------------------------------------------

AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
  - level: Metadata
    users: ["%s"]
  - level: None
""" % OPERATOR_USER


class AuditLog:
    """The API server's audit log (JSON lines) holding only the operator's own requests."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self) -> int:
        time.sleep(0.3)  # let in-flight requests reach the log
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def events(self, start: int, end: int | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with open(self.path, "rb") as f:
            f.seek(start)
            raw = f.read() if end is None else f.read(max(0, end - start))
        out = []
        for line in raw.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    @staticmethod
    def tally(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
        writes: collections.Counter[str] = collections.Counter()
        reads: collections.Counter[str] = collections.Counter()
        for e in events:
            ref = e.get("objectRef") or {}
            key = ref.get("resource", "?") + (f"/{ref['subresource']}" if ref.get("subresource") else "")
            verb = e.get("verb", "?")
            (writes if verb in WRITE_VERBS else reads)[f"{verb} {key}"] += 1
        return {"writes": sum(writes.values()), "reads": sum(reads.values()),
                "writes_by": dict(writes.most_common()), "reads_by": dict(reads.most_common())}


# ------------------------------------------------------------------------------------------------
# The simulator
# ------------------------------------------------------------------------------------------------

class Simulator:
    """A simulator from the launcher, with its admin API. Two settings differ from the defaults: an
    application limit above PingOne's 1,000 per environment (the seeded worker counts towards it,
    so 1,000 resources would not fit; a real tenant would use two environments), and a request log
    that holds a whole benchmark phase (429s are counted from it)."""

    def __init__(self, bench: Bench, name: str, rate_limit: float | None = None) -> None:
        args = ["--max-applications", "5000", "--request-log-size", "500000"]
        if rate_limit:
            args += ["--rate-limit", str(rate_limit)]
        self.pingone = bench.launch.simulator(name=name, extra_args=args, timeout=60)
        self.admin = httpx.Client(base_url=self.pingone.admin_url, timeout=120)

    @property
    def environment_id(self) -> str:
        return self.pingone.environment_id

    def counts(self) -> dict[str, Any]:
        return self.admin.get("/counts").json()

    def requests(self) -> list[dict[str, Any]]:
        return self.admin.get("/requests").json()["requests"]

    def clear(self) -> None:
        self.admin.delete("/requests")

    def set_rate_limit(self, rate: float | None) -> None:
        self.admin.put("/settings", json={"rateLimit": rate}).raise_for_status()

    def applications(self, environment_id: str | None = None) -> list[dict[str, Any]]:
        r = self.admin.get(f"/environments/{environment_id or self.environment_id}/applications")
        r.raise_for_status()
        return list(r.json()["applications"])  # the admin API's own shape, not PingOne's _embedded

    def environment(self) -> tuple[str, str, str]:
        """A further environment with its own worker: (environment id, client id, client secret)."""
        env = self.admin.post("/environments", json={}).raise_for_status().json()["id"]
        secret = uuid.uuid4().hex + uuid.uuid4().hex
        worker = self.admin.post(f"/environments/{env}/workers", json={
            "clientSecret": secret, "authMethod": "CLIENT_SECRET_JWT"}).raise_for_status().json()
        return env, worker["clientId"], secret

    def stop(self) -> None:
        self.admin.close()
        self.pingone.stop(10)


def count_diff(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Difference of two /counts answers, with the routes named by what they are."""
    routes: collections.Counter[str] = collections.Counter()
    for k, v in after.get("byRoute", {}).items():
        d = v - before.get("byRoute", {}).get(k, 0)
        if d:
            routes[k] = d
    methods = {m: v - before.get("byMethod", {}).get(m, 0) for m, v in after.get("byMethod", {}).items()}
    return {"total": after.get("total", 0) - before.get("total", 0),
            "byMethod": {m: v for m, v in methods.items() if v}, "byRoute": dict(routes),
            "kinds": classify_routes(routes)}


def classify_routes(routes: dict[str, int]) -> dict[str, int]:
    kinds: collections.Counter[str] = collections.Counter()
    for route, n in routes.items():
        method, _, path = route.partition(" ")
        if path.endswith("/as/token"):
            kind = "token"
        elif path.endswith("/secret"):
            kind = f"{method} secret"
        elif path.endswith("/applications"):
            kind = "GET list" if method == "GET" else f"{method} applications"
        elif "/applications/" in path:
            kind = f"{method} application"
        else:
            kind = route
        kinds[kind] += n
    return dict(kinds)


# ------------------------------------------------------------------------------------------------
# The operator
# ------------------------------------------------------------------------------------------------

# Logged once the operator has read its settings (it has no liveness port here).
OPERATOR_READY = r"configured: PingOne API"


class Operator:
    """The launcher's `pingone-operator run --namespace NS`, as the bench's ServiceAccount, running
    the copy of the operator's code; liveness and metrics endpoints off."""

    def __init__(self, bench: Bench, namespace: str | list[str], sim: Simulator, name: str, **env: str) -> None:
        self.bench, self.sim, self.name = bench, sim, name
        self.namespaces = [namespace] if isinstance(namespace, str) else list(namespace)
        self.env = {"LOG_LEVEL": "INFO", **image_env(), **snapshot_env(), **env}
        self.proc: ManagedProcess | None = None
        self.started_at = 0.0

    def start(self, wait: bool = True) -> Operator:
        self.started_at = time.monotonic()
        operator = self.bench.launch.operator(
            self.sim.pingone, self.bench.operator_kubeconfig,
            args=[arg for ns in self.namespaces for arg in ("--namespace", ns)],
            extra_env=self.env, liveness=False, metrics=False, ready_line=OPERATOR_READY, ready_timeout=90,
            wait=wait, name=self.name, stop_timeout=30)
        self.proc = operator.process
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None and self.proc.pid is not None
        return self.proc.pid

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def peak_rss_mb(self) -> float:
        """The highest RSS since this process started: every sample of a run at once."""
        return rss_mb(self.pid, "VmHWM")

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def stop(self) -> float:
        assert self.proc is not None
        t = time.monotonic()
        self.proc.stop(30)
        return time.monotonic() - t

    def wait_resumed(self, n: int, timeout: float = 1800.0) -> float:
        """Seconds from start until kopf has resumed `n` objects (its INFO line for each): at a size
        where drift ticks never let the process idle, the end of a restart's own work."""
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        resumed, offset, partial = 0, 0, b""
        while time.monotonic() < deadline:
            with open(self.proc.log_path, "rb") as log:  # only what was written since the last look
                log.seek(offset)
                chunk = log.read()
            offset += len(chunk)
            *lines, partial = (partial + chunk).split(b"\n")
            resumed += sum(b"Resuming is processed" in line for line in lines)
            if resumed >= n:
                return time.monotonic() - self.started_at
            time.sleep(0.5)
        raise TimeoutError(f"fewer than {n} objects resumed")

    def wait_idle(self, *, window: float = 3.0, threshold: float = 0.05, timeout: float = 600.0,
                  min_runtime: float = 2.0) -> float:
        """Seconds from start until the operator's CPU use over a trailing `window` stays under
        `threshold` (fraction of one core); returns the start of that quiet window."""
        samples: collections.deque[tuple[float, float]] = collections.deque()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = time.monotonic()
            samples.append((now, self.cpu()))
            while samples and now - samples[0][0] > window + 0.01:
                samples.popleft()
            t_first, c_first = samples[0]
            if now - self.started_at >= min_runtime and now - t_first >= window - 0.26:
                if (samples[-1][1] - c_first) / (now - t_first) < threshold:
                    return t_first - self.started_at
            time.sleep(0.25)
        raise TimeoutError("operator did not become idle")


# ------------------------------------------------------------------------------------------------
# Ready watch
# ------------------------------------------------------------------------------------------------

class ReadyWatch:
    """A cluster-wide watch on PingOneApplications: when each one was first seen Ready."""

    def __init__(self, api: ApiClient) -> None:
        self._custom = CustomObjectsApi(api)
        self.ready_at: dict[tuple[str, str], float] = {}
        self.modified: collections.Counter[tuple[str, str]] = collections.Counter()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ready-watch", daemon=True)
        self._synced = threading.Event()

    def start(self) -> ReadyWatch:
        self._thread.start()
        self._synced.wait(30)
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                listing = self._custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
                for obj in listing.get("items", []):
                    self._see(obj, "LIST")
                rv = listing["metadata"]["resourceVersion"]
                self._synced.set()
                w = kubernetes.watch.Watch()
                for event in w.stream(self._custom.list_cluster_custom_object, GROUP, VERSION, PLURAL,
                                      resource_version=rv, timeout_seconds=240, allow_watch_bookmarks=True):
                    if self._stop.is_set():
                        w.stop()
                        return
                    if event.get("type") in ("ADDED", "MODIFIED"):
                        self._see(event["object"], event["type"])
            except Exception as exc:  # noqa: BLE001 - re-list and watch again
                if self._stop.is_set():
                    return
                progress(f"ready watch restarting after {type(exc).__name__}")
                time.sleep(0.5)

    def _see(self, obj: dict[str, Any], kind: str) -> None:
        meta = obj.get("metadata") or {}
        key = (meta.get("namespace", ""), meta.get("name", ""))
        if kind == "MODIFIED":
            self.modified[key] += 1
        if key not in self.ready_at and is_ready(obj):
            with self._cond:
                self.ready_at[key] = time.monotonic()
                self._cond.notify_all()

    def wait_ready(self, keys: Iterable[tuple[str, str]], timeout: float,
                   tick: Callable[[int, int], None] | None = None, tick_every: float = 10.0) -> float:
        """Wait until every key is Ready; returns the time the last one was seen."""
        keys = list(keys)
        deadline = time.monotonic() + timeout
        next_tick = time.monotonic() + tick_every
        with self._cond:
            while True:
                missing = [k for k in keys if k not in self.ready_at]
                if not missing:
                    return max(self.ready_at[k] for k in keys) if keys else time.monotonic()
                now = time.monotonic()
                if now > deadline:
                    raise TimeoutError(f"{len(missing)} of {len(keys)} not Ready after {timeout:.0f} s, "
                                       f"e.g. {missing[:3]}")
                if tick is not None and now >= next_tick:
                    tick(len(keys) - len(missing), len(keys))
                    next_tick = now + tick_every
                self._cond.wait(min(0.5, max(0.01, deadline - now)))


# ------------------------------------------------------------------------------------------------
# The bench environment
# ------------------------------------------------------------------------------------------------

class Bench:
    """Control plane with an audit log, the operator's ServiceAccount, API clients, a Ready watch."""

    def __init__(self, *, finalizer_policy: bool = True) -> None:
        self.finalizer_policy = finalizer_policy
        self.workdir = Path(tempfile.mkdtemp(prefix="pingone-bench-"))
        self.source_digest = snapshot_operator(self.workdir / "src")
        policy = self.workdir / "audit-policy.yaml"
        policy.write_text(AUDIT_POLICY)
        self.audit = AuditLog(self.workdir / "audit.log")
        self.cp = ControlPlane(extra_apiserver_args=[
            f"--audit-policy-file={policy}", f"--audit-log-path={self.audit.path}",
            "--audit-log-format=json", "--audit-log-maxsize=0", "--audit-log-mode=blocking",
        ], log=lambda m: progress(f"controlplane: {m}") if "ready at" in m else None)
        self.launch = Launcher(self.workdir)
        self.operator_kubeconfig = Path()
        self.api: ApiClient | None = None
        self.watch: ReadyWatch | None = None
        self._pool = concurrent.futures.ThreadPoolExecutor(16, thread_name_prefix="bench-create")

    def start(self) -> Bench:
        self.cp.start()
        # The CRDs generated by the copied operator (equal to crds/ in a clean checkout, and never
        # out of step with the copy).
        crds = subprocess.run([*operator_command(), "crds"], capture_output=True, text=True,
                              env={**child_env(), **snapshot_env()}, timeout=120, check=True).stdout
        install_crds(self.cp, crds)
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(config_file=str(self.cp.kubeconfig), client_configuration=configuration)
        configuration.connection_pool_maxsize = 32
        self.api = ApiClient(configuration)
        self.core = CoreV1Api(self.api)
        self.custom = CustomObjectsApi(self.api)
        # The operator runs as its own ServiceAccount, so the audit log tells its requests apart.
        self.create_namespace(OPERATOR_NS)
        self.core.create_namespaced_service_account(OPERATOR_NS, {"metadata": {"name": OPERATOR_SA}})
        RbacAuthorizationV1Api(self.api).create_cluster_role_binding({
            "metadata": {"name": "bench-pingone-operator"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": OPERATOR_SA, "namespace": OPERATOR_NS}],
        })
        self.operator_kubeconfig = serviceaccount_kubeconfig(
            self.cp, OPERATOR_NS, OPERATOR_SA, duration="24h", path=self.workdir / "operator.kubeconfig")
        if self.finalizer_policy:
            self.install_finalizer_policy()
        self.watch = ReadyWatch(self.api).start()
        return self

    def install_finalizer_policy(self) -> None:
        """The chart's MutatingAdmissionPolicy (its finalizer at create), as `helm install` puts it on
        a cluster that serves it; rendered by the chart itself, and in force before anything runs."""
        helm = find_binaries()[1] / "helm"
        rendered = subprocess.run([str(helm), "template", "bench", str(ROOT / "helm" / "pingone-operator"),
                                   "--api-versions", MUTATING_POLICY_API], capture_output=True, text=True,
                                  timeout=120, check=True).stdout
        policy = [d for d in yaml.safe_load_all(rendered)
                  if d and d["kind"] in ("MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding")]
        # The operator's namespaces only, as the chart's `watchNamespaces` would bind it: the bare
        # baseline's creates neither get the finalizer nor pay for the policy.
        binding = next(d for d in policy if d["kind"] == "MutatingAdmissionPolicyBinding")
        binding["spec"]["matchResources"] = {"namespaceSelector": {"matchExpressions": [
            {"key": BASELINE_LABEL, "operator": "DoesNotExist"}]}}
        self.cp.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(policy))
        probe = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "PingOneApplication",
                 "metadata": {"name": "policy-probe", "namespace": "default"},
                 "spec": {**SEED_SPEC, "name": "policy-probe"}}
        deadline = time.monotonic() + 60
        while True:
            # Until the new CRD is served and the policy loaded, the dry run fails or lacks it.
            admitted = self.cp.kubectl("create", "--dry-run=server", "-o", "json", "-f", "-",
                                       input=json.dumps(probe), check=False)
            if admitted.returncode == 0 and json.loads(admitted.stdout)["metadata"].get("finalizers"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the finalizer policy is not in force after 60 s")
            time.sleep(0.5)
        progress("finalizer policy in force (the chart's MutatingAdmissionPolicy)")

    def stop(self, keep: bool = False) -> None:
        if self.watch:
            self.watch.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.launch.stop()
        self.cp.stop()
        if keep:
            progress(f"kept bench files (logs, audit log) in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def create_namespace(self, name: str, *, baseline: bool = False) -> None:
        labels = {BASELINE_LABEL: "true"} if baseline else {}
        try:
            self.core.create_namespace({"metadata": {"name": name, "labels": labels}})
        except ApiException as exc:
            if exc.status != 409:
                raise

    def create_resource(self, namespace: str, name: str, app_name: str, connection: str | None = None) -> float:
        """Create one PingOneApplication; returns the monotonic time just before the request."""
        t = time.monotonic()
        self._create(namespace, name, app_name, connection)
        return t

    def _create(self, namespace: str, name: str, app_name: str, connection: str | None = None) -> dict[str, Any]:
        body = resource_body(name, app_name)
        if connection:
            body["spec"]["connectionRef"] = {"name": connection}
        return self.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)

    def connection(self, name: str, sim: Simulator, namespace: str) -> str:
        """A PingOneConnection to a further environment of `sim`, for one namespace (its worker's
        credentials in the operator's namespace); returns the environment id."""
        env, client_id, secret = sim.environment()
        self.core.create_namespaced_secret(OPERATOR_NS, {
            "metadata": {"name": name}, "stringData": {"client-id": client_id, "client-secret": secret}})
        self.custom.create_cluster_custom_object(GROUP, VERSION, "pingoneconnections", {
            "apiVersion": f"{GROUP}/{VERSION}", "kind": "PingOneConnection", "metadata": {"name": name},
            "spec": {"apiUrl": sim.pingone.api_url, "authUrl": sim.pingone.auth_url, "environmentId": env,
                     "credentialsSecret": {"name": name}, "allowedNamespaces": [namespace]}})
        return env

    def create_each(self, namespace: str, items: list[tuple[str, str]],
                    connection: str | None = None) -> Iterator[dict[str, Any]]:
        """Create all at once (16 client threads); yields each created object, in order."""
        futures = [self._pool.submit(self._create, namespace, n, a, connection) for n, a in items]
        for future in futures:
            yield future.result()

    def create_many(self, namespace: str, items: list[tuple[str, str]],
                    connection: str | None = None) -> tuple[float, float]:
        """Create all at once (16 client threads); returns (start, end) monotonic times."""
        t0 = time.monotonic()
        for _ in self.create_each(namespace, items, connection):
            pass
        return t0, time.monotonic()
