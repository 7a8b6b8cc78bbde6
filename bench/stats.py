"""Small statistics helpers: medians over repeated runs, percentiles, a least-squares slope."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (q in 0..100), like numpy's default."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (pos - low))


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median, min and max over repeated runs (the figure the table quotes)."""
    vals = [float(v) for v in values if v is not None]
    if not vals:
        return {"median": None, "min": None, "max": None, "n": 0, "runs": []}
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals),
            "runs": [round(v, 6) for v in vals]}


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ys over xs (0 with fewer than two points)."""
    if len(xs) < 2:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def phases(stamps: Sequence[float], start: float, end: float) -> dict[str, Any]:
    """Where a bulk run's wall time went, from the moments PingOne answered (`stamps`, the run's
    requests; those outside the run, such as a token fetched before it, do not count) between the
    first create (`start`) and the last Ready (`end`), all on one clock: before the first PingOne
    call, the paced calls (and their rate), after the last call; and the calls in each second."""
    stamps = [s for s in stamps if start <= s <= end]
    first, last = min(stamps), max(stamps)
    paced = last - first
    by_second = [0] * (int(end - start) + 1)
    for s in stamps:
        by_second[int(s - start)] += 1
    return {"before_first_call_s": first - start, "calls_s": paced, "after_last_call_s": end - last,
            "calls_per_s": (len(stamps) - 1) / paced if paced > 0 else float("nan"), "by_second": by_second}


def watch_delays(patched: dict[Any, list[float]], seen: dict[Any, float]) -> dict[str, Any]:
    """How long after the status patch that made each object Ready the bench's watch saw it: per
    object, `seen` minus its last patch (`patched`, from the audit log) at or before that moment.
    The API server sends every watcher each event; when they all lag alike, the lag is the API
    server's (kopf's consistency wait, `controller/persistence.py`, has to outlast it)."""
    delays = []
    for key, at in seen.items():
        before = [t for t in patched.get(key, ()) if t <= at]
        if before:
            delays.append(at - max(before))
    if not delays:
        return {"n": 0, "p50_s": None, "p95_s": None, "max_s": None}
    return {"n": len(delays), "p50_s": percentile(delays, 50), "p95_s": percentile(delays, 95), "max_s": max(delays)}
