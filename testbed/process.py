"""Long-running child processes with their output captured in a log file.

Used by the control plane (etcd, kube-apiserver, kube-controller-manager) and by the e2e fixtures
(the PingOne simulator, the operator). Nothing here depends on pytest, so the demo and the
benchmarks can reuse it.

    proc = ManagedProcess("simulator", [exe, "simulator", "--port", "0"], log_path=tmp / "sim.log")
    proc.start()
    match = proc.wait_for_line(r"PINGONE_API_URL=(\\S+)", timeout=20)
    ...
    proc.stop()          # SIGTERM, then SIGKILL after a timeout
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["ManagedProcess", "ProcessError", "free_port", "http_get"]

_PR_SET_PDEATHSIG = 1


class ProcessError(RuntimeError):
    """A managed process failed to start, exited early, or did not become ready in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the usual small race applies)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def http_get(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = 2.0,
) -> tuple[int, str]:
    """GET a URL and return (status, body); HTTP error statuses are returned, not raised."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=ssl_context) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace") if exc.fp is not None else ""
        return exc.code, body


def _parent_death_signal(sig: int) -> Callable[[], None] | None:
    """A preexec_fn that makes the child receive `sig` when this process dies (Linux only).

    Only used when starting from the main thread: PR_SET_PDEATHSIG fires when the *thread* that
    forked the child exits, which would kill children started from short-lived worker threads.
    """
    if not os.uname().sysname == "Linux" or threading.current_thread() is not threading.main_thread():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _unblock_sigint_then(preexec: Callable[[], None] | None) -> Callable[[], None]:
    def child_preexec() -> None:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        if preexec is not None:
            preexec()

    return child_preexec


class ManagedProcess:
    """A child process whose stdout and stderr go to one log file.

    The child runs in its own session, so a Ctrl-C in the terminal reaches only the Python parent,
    which then tears the child down in order. If the parent dies without cleaning up (SIGKILL, a
    crash), the kernel sends the child `parent_death_signal` (Linux, when started from the main
    thread). That is SIGKILL by default: a SIGTERM'd kube-apiserver waits forever for an etcd that
    got the same SIGTERM at the same moment.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str | os.PathLike[str]],
        *,
        log_path: str | os.PathLike[str],
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        stop_timeout: float = 10.0,
        parent_death_signal: int | None = signal.SIGKILL,
    ) -> None:
        self.name = name
        self.parent_death_signal = parent_death_signal
        self.argv = [os.fspath(a) for a in argv]
        self.log_path = Path(log_path)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.stop_timeout = stop_timeout
        self.popen: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._run_offset = 0  # where the current run's output starts in the log file

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> ManagedProcess:
        if self.running:
            raise ProcessError(f"{self.name} is already running (pid {self.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            if self.starts:
                log.write(f"\n===== {self.name} restarted at {time.strftime('%H:%M:%S')} =====\n".encode())
            log.flush()
            self._run_offset = log.tell()
            preexec = _parent_death_signal(self.parent_death_signal) if self.parent_death_signal else None
            # A Ctrl-C in the middle of Popen would leave a running child we hold no handle to:
            # hold SIGINT back until self.popen is set (the child unblocks it for itself).
            main = threading.current_thread() is threading.main_thread()
            if main:
                preexec = _unblock_sigint_then(preexec)
                old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                self.popen = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    cwd=self.cwd,
                    start_new_session=True,
                    preexec_fn=preexec,
                )
            except OSError as exc:
                raise ProcessError(f"cannot start {self.name} ({self.argv[0]}): {exc}") from exc
            finally:
                if main:
                    signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        self.starts += 1
        return self

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM, wait up to `timeout` seconds, then SIGKILL. Returns the exit code (None if never started)."""
        popen = self.popen
        if popen is None:
            return None
        if popen.poll() is None:
            try:
                popen.send_signal(signal.SIGTERM)
                popen.wait(self.stop_timeout if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                self.kill()
            except ProcessLookupError:
                pass
        return popen.wait()

    def kill(self) -> int | None:
        """SIGKILL right away (simulates a crash). Returns the exit code."""
        popen = self.popen
        if popen is None:
            return None
        if popen.poll() is None:
            try:
                popen.kill()
            except ProcessLookupError:
                pass
        return popen.wait()

    def restart(self, timeout: float | None = None) -> ManagedProcess:
        """Stop gracefully and start again with the same argv and env; the log file is appended to."""
        self.stop(timeout)
        return self.start()

    # -- state ---------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen is not None else None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll() if self.popen is not None else None

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    # -- logs ----------------------------------------------------------------------------------

    def log_text(self, *, current_run: bool = False) -> str:
        """The whole log (all runs), or only what the current run has written so far."""
        try:
            with open(self.log_path, "rb") as log:
                if current_run:
                    log.seek(self._run_offset)
                return log.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def describe_failure(self, what: str, lines: int = 40) -> str:
        state = "running" if self.running else f"exited with code {self.returncode}"
        return (
            f"{self.name}: {what} ({state}; log {self.log_path})\n"
            f"--- last {lines} lines of {self.name} log ---\n{self.tail(lines)}\n--- end of log ---"
        )

    # -- waiting -------------------------------------------------------------------------------

    def wait_for_line(
        self,
        pattern: str | re.Pattern[str],
        *,
        timeout: float = 30.0,
        current_run: bool = True,
        poll: float = 0.1,
    ) -> re.Match[str]:
        """Wait until the log matches `pattern` (re.search, multiline). Raises ProcessError on exit/timeout."""
        regex = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.log_text(current_run=current_run))
            if match:
                return match
            if not self.running:
                # One more read: the line may have been written just before the exit.
                match = regex.search(self.log_text(current_run=current_run))
                if match:
                    return match
                raise ProcessError(self.describe_failure(f"exited before logging {regex.pattern!r}"))
            if time.monotonic() > deadline:
                raise ProcessError(self.describe_failure(f"no line matching {regex.pattern!r} within {timeout:.0f} s"))
            time.sleep(poll)

    def wait_for_http(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | Callable[[], ssl.SSLContext | None] | None = None,
        accept: Callable[[int, str], bool] = lambda status, body: status == 200,
        poll: float = 0.2,
        progress: Callable[[str], None] | None = None,
        progress_every: float = 5.0,
    ) -> tuple[int, str]:
        """Poll `url` until `accept(status, body)`; fail early if the process exits.

        `ssl_context` may be a callable, re-evaluated each attempt (for a CA file that the server
        writes only once it is up); a None result means "not yet", and the attempt is skipped.
        """
        start = time.monotonic()
        deadline = start + timeout
        next_progress = start + progress_every
        last = "no answer yet"
        while True:
            if not self.running:
                raise ProcessError(self.describe_failure(f"exited while waiting for {url}"))
            ctx = ssl_context() if callable(ssl_context) else ssl_context
            if ctx is not None or not url.startswith("https:"):
                try:
                    status, body = http_get(url, headers=headers, ssl_context=ctx, timeout=2.0)
                except (OSError, ssl.SSLError) as exc:
                    last = f"{type(exc).__name__}: {exc}"
                else:
                    if accept(status, body):
                        return status, body
                    last = f"HTTP {status}: {_squash(body)}"
            now = time.monotonic()
            if now > deadline:
                raise ProcessError(
                    self.describe_failure(f"{url} not ready within {timeout:.0f} s; last answer: {last}")
                )
            if progress is not None and now >= next_progress:
                progress(f"  ...still waiting for {self.name} ({now - start:.0f} s): {last}")
                next_progress = now + progress_every
            time.sleep(poll)


def _squash(text: str, limit: int = 300) -> str:
    """Failing readyz checks are listed one per line; keep only the failing ones, briefly."""
    lines = [line for line in text.splitlines() if "failed" in line or "[-]" in line] or text.splitlines()
    joined = "; ".join(line.strip() for line in lines if line.strip())
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."
