"""The operator's container image, built for real from the project's Dockerfile (``make image``).

No Docker engine runs here; Debian's podman does, as root:

1. tools: podman, runc, debootstrap and catatonit (the pause process of ``podman kube play``),
   installed with apt-get when missing;
2. base: ``debootstrap --variant=minbase bookworm`` plus Debian's python3, trimmed and kept as a
   tarball in ``<cache>/image/bookworm/``, then ``podman import``-ed once. No registry image is
   needed (none can be pulled here);
3. image: ``podman build --build-arg BASE_IMAGE=<that base>`` of the Dockerfile, tagged
   ``localhost/pingone-operator:ctx-<hash>``, the hash of the base and of the build context
   (the Dockerfile and what .dockerignore lets through), so an unchanged tree builds nothing.

``<cache>`` is build.sh's (``PINGONE_OPERATOR_CACHE``, default ``~/.cache/pingone-operator``); the
images live in podman's own store. Every podman call reads ``testbed/containers.conf`` (runc,
ulimits: see there). ``python -m testbed.image`` builds what is missing and prints the tag.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["IMAGE_REPOSITORY", "Image", "ImageError", "build_context", "ensure_image", "podman"]

ROOT = Path(__file__).resolve().parents[1]
CONTAINERS_CONF = Path(__file__).resolve().parent / "containers.conf"
RELEASE = "bookworm"
# The Dockerfile's python3 (3.11 on bookworm) and its venv module; nothing else.
BASE_PACKAGES = ("python3", "python3-venv")
# What a slim image leaves out: package caches and lists, documentation, translations.
BASE_TRIM = ("var/cache/apt", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info",
             "usr/share/locale")
# `podman import` keeps no configuration; RUN steps and kube play need a PATH.
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IMAGE_REPOSITORY = "localhost/pingone-operator"
BASE_REPOSITORY = "localhost/pingone-operator-base"
APT_PACKAGES = {"podman": "podman", "runc": "runc", "debootstrap": "debootstrap", "catatonit": "catatonit"}


class ImageError(RuntimeError):
    """A step of the image build failed, or cannot run on this machine."""


@dataclass(frozen=True)
class Image:
    tag: str
    base: str  # the base image's tag
    id: str
    size: int  # bytes, as podman counts them (uncompressed)
    built_seconds: float | None  # None: it was already there


def _log(message: str) -> None:
    print(f"[image {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cache_dir() -> Path:
    """build.sh's cache folder, plus image/."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pingone-operator"
    return Path(os.environ.get("PINGONE_OPERATOR_CACHE") or default) / "image"


def podman(*args: str, check: bool = True, timeout: float = 600.0,
           input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run podman with the test bed's containers.conf; text in and out. check=True raises ImageError."""
    env = dict(os.environ, CONTAINERS_CONF=str(CONTAINERS_CONF))
    result = subprocess.run(["podman", *args], capture_output=True, text=True, env=env, timeout=timeout,
                            input=input)
    if check and result.returncode != 0:
        raise ImageError(f"podman {' '.join(args[:3])} ... failed ({result.returncode}):\n{result.stderr.strip()}")
    return result


def _run_logged(what: str, argv: Sequence[str], log_path: Path, *, show: Callable[[str], bool] = lambda line: False,
                env: dict[str, str] | None = None) -> None:
    """Run a long step with its output in `log_path`; echo the lines `show` picks, and a progress
    line every 30 s. A failure raises ImageError with the log's tail."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    last = ["(no output yet)"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                stdin=subprocess.DEVNULL)
        assert proc.stdout is not None
        done = threading.Event()

        def heartbeat() -> None:
            while not done.wait(30):
                _log(f"  ...still {what} ({time.monotonic() - start:.0f} s): {last[0][:120]}")

        threading.Thread(target=heartbeat, daemon=True).start()
        try:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                if line.strip():
                    last[0] = line.strip()
                    if show(line):
                        _log(f"  {line.strip()[:160]}")
        finally:
            done.set()
            code = proc.wait()
    if code != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
        raise ImageError(f"{what} failed (exit {code}); log {log_path}:\n{tail}")
    _log(f"{what}: done in {time.monotonic() - start:.0f} s")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder at a time (make image and a test run, say)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# ---- 1. tools -------------------------------------------------------------------------------

def ensure_tools() -> None:
    if os.geteuid() != 0:
        raise ImageError("the image steps run as root (apt-get, debootstrap, podman's system store); "
                         "this user is not root")
    missing = [package for command, package in APT_PACKAGES.items() if shutil.which(command) is None]
    if not missing:
        return
    _log(f"installing {', '.join(missing)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run_logged("apt-get update", ["apt-get", "update", "-q"], cache_dir() / "apt-update.log", env=env)
    # No recommends: they would bring crun (see containers.conf) and rootless helpers.
    _run_logged("apt-get install", ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                cache_dir() / "apt-install.log", env=env)


# ---- 2. the base image ----------------------------------------------------------------------

def _base_key() -> str:
    return hashlib.sha256(json.dumps([RELEASE, BASE_PACKAGES, BASE_TRIM, BASE_PATH]).encode()).hexdigest()[:12]


def ensure_base() -> str:
    """The imported base image's tag; debootstraps only when its tarball is not cached."""
    key = _base_key()
    tag = f"{BASE_REPOSITORY}:{RELEASE}-{key}"
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    folder = cache_dir() / RELEASE
    tarball = folder / f"rootfs-{key}.tar"
    if not tarball.is_file():
        rootfs = Path(tempfile.mkdtemp(prefix="rootfs-", dir=folder.parent))
        try:
            _log(f"debootstrap --variant=minbase {RELEASE} (+{', '.join(BASE_PACKAGES)}): about 2 minutes")
            _run_logged("debootstrap", ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
                                        RELEASE, str(rootfs)],
                        folder / "debootstrap.log", show=lambda line: line.startswith("I: Base system"))
            for rel in BASE_TRIM:
                for child in (rootfs / rel).glob("*"):
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child)
                    else:
                        child.unlink()
            folder.mkdir(parents=True, exist_ok=True)
            partial = tarball.with_suffix(".tar.tmp")
            subprocess.run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(partial), "."], check=True)
            partial.replace(tarball)
        finally:
            shutil.rmtree(rootfs, ignore_errors=True)
        for old in folder.glob("rootfs-*.tar"):  # earlier keys
            if old != tarball:
                old.unlink()
    _log(f"podman import {tarball.name} as {tag}")
    podman("import", "--change", f"ENV PATH={BASE_PATH}", str(tarball), tag)
    return tag


# ---- 3. the image ---------------------------------------------------------------------------

def _dockerignore() -> list[tuple[bool, re.Pattern[str]]]:
    """.dockerignore as (re-include?, regex): `*` one path segment, `**` any number of them."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = (re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
                 .replace(r"\*", "[^/]*").replace(r"\?", "[^/]"))
        rules.append((negate, re.compile(f"^{regex}$")))
    return rules


def build_context() -> list[str]:
    """The files podman sends to the build (relative paths): the last matching rule wins, and a
    rule that matches a folder covers everything under it."""
    rules = _dockerignore()
    files = []
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in (".git", ".venv"))
        for name in sorted(names):
            rel = os.path.relpath(os.path.join(folder, name), ROOT)
            parts = rel.split("/")
            prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
            excluded = False
            for negate, regex in rules:
                if any(regex.match(p) for p in prefixes):
                    excluded = not negate
            if not excluded:
                files.append(rel)
    return files


def _context_key(base_id: str) -> str:
    digest = hashlib.sha256(base_id.encode())
    for rel in ["Dockerfile", ".dockerignore", *build_context()]:
        digest.update(f"\0{rel}\0".encode())
        digest.update((ROOT / rel).read_bytes())
    return digest.hexdigest()[:16]


def _host_ca_bundle() -> str | None:
    """The CA bundle this host trusts (SSL_CERT_FILE or OpenSSL's default)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def _inspect(tag: str) -> tuple[str, int]:
    image_id, size = podman("image", "inspect", "--format", "{{.Id}} {{.Size}}", tag).stdout.split()
    return image_id, int(size)


def ensure_image() -> Image:
    """Build what is missing and return the image (seconds when warm)."""
    with _locked(cache_dir() / ".lock"):
        ensure_tools()
        base = ensure_base()
        tag = f"{IMAGE_REPOSITORY}:ctx-{_context_key(_inspect(base)[0])}"
        if podman("image", "exists", tag, check=False).returncode == 0:
            return Image(tag, base, *_inspect(tag), built_seconds=None)
        _log(f"podman build of the Dockerfile on {base} as {tag}: a few minutes cold")
        start = time.monotonic()
        argv = ["podman", "build", "--network", "host", "--pull=never", "--layers=false",
                "--build-arg", f"BASE_IMAGE={base}", "--tag", tag, "--file", str(ROOT / "Dockerfile")]
        # RUN steps reach PyPI with the host's trust store (a proxy's CA, say); a build-time mount,
        # not part of the image.
        ca_bundle = _host_ca_bundle()
        if ca_bundle:
            argv += ["--volume", f"{ca_bundle}:/etc/ssl/certs/ca-certificates.crt:ro"]
        _run_logged("podman build", [*argv, str(ROOT)], cache_dir() / "build.log",
                    show=lambda line: bool(re.match(r"\[\d+/\d+\] STEP|STEP \d+", line)),
                    env=dict(os.environ, CONTAINERS_CONF=str(CONTAINERS_CONF)))
        built = time.monotonic() - start
        # Keep one built image: each is a few hundred MB.
        listed = podman("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter",
                        f"reference={IMAGE_REPOSITORY}").stdout.split()
        for old in listed:
            if old != tag and old.startswith(f"{IMAGE_REPOSITORY}:ctx-"):
                podman("rmi", old, check=False)
        return Image(tag, base, *_inspect(tag), built_seconds=built)


def main() -> int:
    try:
        image = ensure_image()
    except ImageError as exc:
        _log(f"FAILED: {exc}")
        return 1
    how = "already built" if image.built_seconds is None else f"built in {image.built_seconds:.0f} s"
    _log(f"{image.tag} ({image.size / 1e6:.0f} MB, {how})")
    print(image.tag)
    return 0


if __name__ == "__main__":
    sys.exit(main())
