"""Optional CPU profile of the operator with py-spy (`python -m bench --profile`).

py-spy is not a dependency: install it into the venv (`.venv/bin/pip install py-spy`) to use
this. It samples the operator subprocess from outside (no code change, no restart) and the
collapsed stacks are summarised into the result file: the functions with the most samples,
inclusive (anywhere on the stack) and exclusive (on top of it).
"""

from __future__ import annotations

import collections
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any


def pyspy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.is_file() else shutil.which("py-spy")


class Profile:
    def __init__(self, pid: int, out: Path, rate: int = 100) -> None:
        exe = pyspy()
        if exe is None:
            raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
        self.out = out
        self.proc = subprocess.Popen([exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--gil",
                                      "--output", str(out), "--nonblocking"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self, top: int = 25) -> dict[str, Any]:
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if not self.out.exists():
            return {"error": (err or b"").decode(errors="replace")[-500:]}
        return summarise(self.out.read_text(), top)


def summarise(collapsed: str, top: int = 25) -> dict[str, Any]:
    inclusive: collections.Counter[str] = collections.Counter()
    exclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        exclusive[frames[-1]] += n

    def pct(counter: collections.Counter[str]) -> list[list[Any]]:
        return [[name, round(100.0 * n / max(1, total), 1)] for name, n in counter.most_common(top)]

    return {"samples": total, "inclusive_pct": pct(inclusive), "exclusive_pct": pct(exclusive)}


def _short(frame: str) -> str:
    """`func (path/to/site-packages/pkg/mod.py:12)` -> `func (pkg/mod.py)`."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if path else name
