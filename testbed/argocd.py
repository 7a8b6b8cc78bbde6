"""A real Argo CD on the test bed's control plane: redis, the repo server, the application
controller and the API server as processes, and a local git repository for them to read.

The binary is argo-cd's multi-call `cmd` (``testbed/build.sh argocd``; named
`argocd-repo-server` it is the repo server, and so on), built from Go modules like the control
plane, with the CRDs of the same module version. The API server is there for the `argocd` CLI
(`app actions run`): the CLI's `--core` mode reads the app's resource tree from a redis it finds
by port-forwarding to a Pod, and Pods never run here. Usage::

    with ControlPlane() as cp, Launcher(log_dir) as launch:
        argo = ArgoCD(cp, workdir, spawn=...)      # or log_dir=...
        argo.install(cm_patch=ROOT / "argocd" / "argocd-cm-patch.yaml")
        argo.start()
        repo = GitRepo(workdir / "repo")
        repo.commit({"apps/a.yaml": "..."}, "add a")
        argo.create_app("demo", repo.url, "apps", "team-a")
        argo.wait_app("demo", sync="Synced", health="Healthy")
        argo.stop()
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .cluster import BUILD_SCRIPT, ControlPlaneError
from .launcher import Spawn
from .process import ManagedProcess, free_port, http_get

__all__ = ["ArgoCD", "ArgoCDError", "GitRepo", "argocd_bin"]

NAMESPACE = "argocd"
# What the CLI needs in argocd-cm besides the user's customizations: anonymous access (made
# admin in argocd-rbac-cm), loopback only.
BASE_CM = {"users.anonymous.enabled": "true"}


class ArgoCDError(ControlPlaneError):
    """Argo CD could not be located, installed or started."""


def argocd_bin() -> Path:
    """The cache folder build.sh puts the Argo CD binary (and its crds/) in; nothing is built here."""
    result = subprocess.run(["bash", str(BUILD_SCRIPT), "print-argocd"], capture_output=True, text=True,
                            timeout=60, check=False)
    folder = Path(result.stdout.strip())
    if result.returncode != 0 or not (folder / "argocd").is_file():
        raise ArgoCDError(f"Argo CD is not built ({folder}): run `make controlplane` "
                          f"(testbed/build.sh argocd; about 10 minutes cold on 2 cores)")
    if shutil.which("redis-server") is None:
        raise ArgoCDError("redis-server is missing: `testbed/build.sh argocd` installs Debian's (as root)")
    return folder


class GitRepo:
    """A local git repository that Argo CD reads through a file:// URL."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._git("init", "-q", "-b", "main")

    @property
    def url(self) -> str:
        return self.path.resolve().as_uri()

    def _git(self, *args: str) -> str:
        env = {**os.environ, "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
               "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.invalid"}
        return subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, text=True,
                              env=env, check=True).stdout.strip()

    def commit(self, files: Mapping[str, str | None], message: str) -> str:
        """Write (or, with None, remove) files and commit them; returns the new commit's sha."""
        for name, text in files.items():
            target = self.path / name
            if text is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
        self._git("add", "-A")
        self._git("commit", "-q", "--allow-empty", "-m", message)
        return self._git("rev-parse", "HEAD")


class ArgoCD:
    """Argo CD's components as child processes against `cluster` (a ControlPlane)."""

    def __init__(self, cluster: Any, workdir: str | os.PathLike[str], *, spawn: Spawn | None = None,
                 log_dir: str | os.PathLike[str] | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        if (log_dir is None) == (spawn is None):
            raise ValueError("ArgoCD needs a log_dir or a spawn function, not both")
        self.cluster = cluster
        self.workdir = Path(workdir)
        self.bin = argocd_bin()
        self._spawn, self._log_dir, self._log = spawn, log_dir, log or (lambda message: None)
        self.processes: list[ManagedProcess] = []
        self.server_address = ""
        # Its own kubeconfig: the admin's, in the argocd namespace (the components' namespace).
        self.kubeconfig = cluster.write_kubeconfig(self.workdir / "argocd.kubeconfig", user_name="argocd-admin",
                                                   token=cluster.admin_token, namespace=NAMESPACE)

    # -- install -------------------------------------------------------------------------------

    def install(self, cm_patch: str | os.PathLike[str] | None = None) -> None:
        """CRDs from the module, the argocd namespace, argocd-cm (with `cm_patch` merged in the way
        docs/gitops.md tells users: a kustomize patch), argocd-rbac-cm, argocd-secret and the
        default AppProject. Idempotent."""
        crds = sorted(str(p) for p in (self.bin / "crds").glob("*.yaml"))
        for crd in crds:
            self.cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", crd)
        self._wait_established(crds)
        self.cluster.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
        labels = {"app.kubernetes.io/part-of": "argocd"}
        base = tempfile.mkdtemp(prefix="argocd-cm-", dir=self.workdir)
        Path(base, "argocd-cm.yaml").write_text(json.dumps({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": NAMESPACE,
                         "labels": {**labels, "app.kubernetes.io/name": "argocd-cm"}},
            "data": BASE_CM}))
        kustomization = {"resources": ["argocd-cm.yaml"]}
        if cm_patch is not None:
            shutil.copy(cm_patch, Path(base, "patch.yaml"))  # kustomize reads only inside its folder
            kustomization["patches"] = [{"path": "patch.yaml"}]
        Path(base, "kustomization.yaml").write_text(json.dumps(kustomization))
        self.cluster.kubectl("apply", "-k", base)
        objects = [
            {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "argocd-rbac-cm", "namespace": NAMESPACE, "labels": labels},
             # The CLI talks to the API server anonymously (users.anonymous.enabled): make that admin.
             "data": {"policy.default": "role:admin"}},
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": "argocd-secret", "namespace": NAMESPACE, "labels": labels},
             "stringData": {"server.secretkey": os.urandom(24).hex()}},
            {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
             "metadata": {"name": "default", "namespace": NAMESPACE},
             "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
                      "clusterResourceWhitelist": [{"group": "*", "kind": "*"}]}},
        ]
        self.cluster.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                                   "items": objects}))

    def _wait_established(self, files: Sequence[str], timeout: float = 60.0) -> None:
        # Not `kubectl wait`: it errors out on a CRD that has no status.conditions yet.
        deadline = time.monotonic() + timeout
        args = [a for f in files for a in ("-f", f)]
        while True:
            got = json.loads(self.cluster.kubectl("get", *args, "-o", "json").stdout)
            items = got.get("items", [got])
            pending = [i["metadata"]["name"] for i in items
                       if not any(c["type"] == "Established" and c["status"] == "True"
                                  for c in (i.get("status") or {}).get("conditions") or [])]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise ArgoCDError(f"CRDs not Established within {timeout:.0f} s: {', '.join(pending)}")
            time.sleep(0.2)

    # -- processes -----------------------------------------------------------------------------

    def _env(self, component: str) -> dict[str, str]:
        data = self.workdir / component
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "KUBECONFIG"))}
        env.update({
            "KUBECONFIG": str(self.kubeconfig),
            # The in-cluster destination (https://kubernetes.default.svc) is this kubeconfig's cluster.
            "ARGOCD_FAKE_IN_CLUSTER": "true",
            "ARGOCD_GPG_ENABLED": "false",
            # Paths that default to /app/config and /tmp, so two test beds never share them.
            "ARGOCD_TLS_DATA_PATH": str(data / "tls"),
            "ARGOCD_SSH_DATA_PATH": str(data / "ssh"),
            "ARGOCD_GNUPGHOME": str(data / "gpg"),
            "ARGOCD_ASK_PASS_SOCK": str(data / "askpass.sock"),
            "TMPDIR": str(data / "tmp"),
            "HOSTNAME": f"{component}-0",
        })
        for sub in ("tls", "ssh", "gpg", "tmp"):
            (data / sub).mkdir(parents=True, exist_ok=True)
        return env

    def _start(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> ManagedProcess:
        if self._spawn is not None:
            proc = self._spawn(name, argv, env=env, stop_timeout=10.0)
        else:
            assert self._log_dir is not None
            proc = ManagedProcess(name, argv, log_path=Path(self._log_dir) / f"{name}.log", env=env,
                                  stop_timeout=10.0).start()
        self.processes.append(proc)
        return proc

    def start(self, *, timeout: float = 60.0) -> ArgoCD:
        """redis, repo server, application controller and API server; returns once all answer."""
        t0 = time.monotonic()
        redis_port, repo_port, server_port = free_port(), free_port(), free_port()
        redis = self._start("argocd-redis", [
            shutil.which("redis-server") or "redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.workdir)], os.environ)
        redis.wait_for_line("Ready to accept connections", timeout=timeout)
        common = ["--redis", f"127.0.0.1:{redis_port}", "--loglevel", "info"]
        metrics = {name: free_port() for name in ("repo-server", "application-controller", "server")}
        repo = self._start("argocd-repo-server", [
            str(self.bin / "argocd-repo-server"), *common, "--address", "127.0.0.1", "--port", str(repo_port),
            "--metrics-address", "127.0.0.1", "--metrics-port", str(metrics["repo-server"]), "--disable-tls"],
            self._env("repo-server"))
        repo.wait_for_http(f"http://127.0.0.1:{metrics['repo-server']}/healthz", timeout=timeout)
        controller = self._start("argocd-application-controller", [
            str(self.bin / "argocd-application-controller"), *common,
            "--repo-server", f"127.0.0.1:{repo_port}", "--repo-server-plaintext",
            "--metrics-port", str(metrics["application-controller"]),
            # Two cores. Refreshes are asked for (the `refresh` annotation), not waited for.
            "--status-processors", "2", "--operation-processors", "2", "--app-resync", "180"],
            self._env("application-controller"))
        controller.wait_for_http(f"http://127.0.0.1:{metrics['application-controller']}/healthz", timeout=timeout)
        server = self._start("argocd-server", [
            str(self.bin / "argocd-server"), *common, "--insecure", "--address", "127.0.0.1",
            "--port", str(server_port), "--metrics-port", str(metrics["server"]),
            "--repo-server", f"127.0.0.1:{repo_port}", "--repo-server-plaintext",
            "--dex-server", "http://127.0.0.1:1", "--staticassets", str(self.workdir / "no-ui")],
            self._env("server"))
        server.wait_for_http(f"http://127.0.0.1:{server_port}/healthz", timeout=timeout)
        self.server_address = f"127.0.0.1:{server_port}"
        self._log(f"Argo CD started in {time.monotonic() - t0:.1f} s (API server {self.server_address})")
        return self

    def stop(self) -> None:
        while self.processes:
            self.processes.pop().stop()

    # -- using it ------------------------------------------------------------------------------

    def cli(self, *args: str, check: bool = True, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """The argocd CLI (the same binary) against the API server, anonymously, without TLS."""
        env = self._env("cli")
        env["ARGOCD_CONFIG_DIR"] = str(self.workdir / "cli" / "config")
        cmd = [str(self.bin / "argocd"), *args, "--server", self.server_address, "--plaintext"]
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        if check and result.returncode != 0:
            raise ArgoCDError(f"argocd {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def api(self, path: str, **query: str) -> Any:
        """GET the API server's REST API (what the UI calls), anonymously; the JSON answer."""
        url = f"http://{self.server_address}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        status, body = http_get(url, timeout=30)
        if status != 200:
            raise ArgoCDError(f"GET {path}: HTTP {status}: {body[:500]}")
        return json.loads(body)

    def create_app(self, name: str, repo_url: str, path: str, namespace: str, *,
                   sync_options: Sequence[str] = ("ServerSideApply=true",), prune: bool = True) -> None:
        """An Application in the default project, auto-synced (with prune) from `repo_url`/`path`
        into `namespace` of this cluster."""
        self.cluster.kubectl("apply", "-f", "-", input=json.dumps({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"project": "default",
                     "source": {"repoURL": repo_url, "path": path, "targetRevision": "main"},
                     "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
                     "syncPolicy": {"automated": {"prune": prune, "selfHeal": True},
                                    "syncOptions": list(sync_options)}}}))

    def delete_app(self, name: str) -> None:
        self.cluster.kubectl("delete", "application", name, "-n", NAMESPACE, "--wait=false", check=False)

    def app(self, name: str) -> dict[str, Any]:
        return json.loads(self.cluster.kubectl("get", "application", name, "-n", NAMESPACE, "-o", "json").stdout)

    def refresh(self, name: str, *, hard: bool = False, timeout: float = 60.0) -> dict[str, Any]:
        """Ask for a refresh (re-read Git, re-compare, re-assess health) and wait until it is done."""
        self.cluster.kubectl("annotate", "application", name, "-n", NAMESPACE, "--overwrite",
                             f"argocd.argoproj.io/refresh={'hard' if hard else 'normal'}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            app = self.app(name)
            if "argocd.argoproj.io/refresh" not in (app["metadata"].get("annotations") or {}):
                return app
            time.sleep(0.5)
        raise ArgoCDError(f"Application {name}: refresh not done within {timeout:.0f} s")

    def wait_app(self, name: str, *, sync: str | None = "Synced", health: str | None = "Healthy",
                 revision: str | None = None, timeout: float = 120.0,
                 check: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
        """Wait until the Application's sync and health status (and synced revision) are these."""
        deadline = time.monotonic() + timeout
        app: dict[str, Any] = {}
        while time.monotonic() < deadline:
            app = self.app(name)
            status = app.get("status") or {}
            operation = status.get("operationState") or {}
            if ((sync is None or (status.get("sync") or {}).get("status") == sync)
                    and (health is None or (status.get("health") or {}).get("status") == health)
                    # The revision compared, and a finished sync of it.
                    and (revision is None or ((status.get("sync") or {}).get("revision") == revision
                                              and (operation.get("syncResult") or {}).get("revision") == revision
                                              and operation.get("phase") == "Succeeded"))
                    and (check is None or check(app))):
                return app
            time.sleep(0.5)
        raise ArgoCDError(f"Application {name} not sync={sync} health={health} revision={revision} within "
                          f"{timeout:.0f} s: {summary(app)}")


def summary(app: Mapping[str, Any]) -> str:
    """The parts of an Application's status that say what it is doing, for failure messages."""
    status = app.get("status") or {}
    operation = status.get("operationState") or {}
    return json.dumps({
        "sync": (status.get("sync") or {}).get("status"),
        "revision": (status.get("sync") or {}).get("revision"),
        "health": status.get("health"),
        "operation": {k: operation.get(k) for k in ("phase", "message")},
        "conditions": status.get("conditions"),
        "resources": [{k: r.get(k) for k in ("kind", "name", "status", "health")}
                      for r in status.get("resources") or []],
    }, indent=1)
