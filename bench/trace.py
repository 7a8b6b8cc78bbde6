"""Where one create's time goes: `python -m bench.trace` (not part of `make bench`).

Creates PingOneApplications one at a time, as test 1 (time to Ready) does, and lines up, per create,
what the operator asked of Kubernetes (the audit log: when the API server received each request and
when it answered), what it asked of PingOne (the simulator's request log: when each answer was
ready, and how long the simulator took), kopf's log lines about the object, and when the bench's
watch saw Ready. Then the median of each step over the creates, all from the moment the bench sent
its create. Gaps between steps are the operator's own time (kopf, the handler, its clients).

    .venv/bin/python -m bench.trace              # 20 creates (+1 warm-up), the median timeline
    .venv/bin/python -m bench.trace -n 5 --each  # and each create's own timeline
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import time
from typing import Any

from .harness import Bench, Operator, Simulator, progress, wall_seconds
from .scenarios import READY_PAUSE, baseline_times

NAMESPACE = "trace"
TAIL = 0.05  # seconds after Ready in which the create's last requests (its Event) still count


def _kube_steps(audit: list[dict[str, Any]], start: float, end: float) -> list[tuple[float, float, str]]:
    steps = []
    for event in audit:
        received, answered = wall_seconds(event["requestReceivedTimestamp"]), wall_seconds(event["stageTimestamp"])
        if start <= received <= end and event.get("verb") not in ("watch", "list", "get"):
            ref = event.get("objectRef") or {}
            what = ref.get("resource", "?") + (f"/{ref['subresource']}" if ref.get("subresource") else "")
            steps.append((received, answered, f"Kubernetes {event['verb']} {what}"))
    return steps


def _pingone_steps(requests: list[dict[str, Any]], start: float, end: float) -> list[tuple[float, float, str]]:
    steps = []
    for request in requests:
        answered = wall_seconds(request["timestamp"])
        if start <= answered <= end:
            steps.append((answered - request["durationMs"] / 1000, answered,
                          f"PingOne {request['method']} {request['route']} {request['status']}"))
    return steps


def _kopf_steps(log_lines: list[dict[str, Any]], name: str, start: float, end: float) -> list[tuple[float, float, str]]:
    steps = []
    for line in log_lines:
        at = wall_seconds(line["timestamp"])
        if (line.get("object") or {}).get("name") == name and start <= at <= end:
            steps.append((at, at, f"kopf: {line['message'][:60]}"))
    return steps


def _numbered(steps: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """The same step twice in one create (two status patches) gets #1, #2, so medians pair them up."""
    seen: collections.Counter[str] = collections.Counter()
    out = []
    for begin, finish, label in sorted(steps):
        seen[label] += 1
        out.append((begin, finish, f"{label} #{seen[label]}" if seen[label] > 1 else label))
    return out


def trace(n: int, each: bool, gap: float = READY_PAUSE) -> None:
    bench = Bench().start()
    try:
        sim = Simulator(bench, "sim-trace")
        bench.create_namespace(NAMESPACE)
        # A long drift interval: no drift check of an earlier object falls into a create's window.
        op = Operator(bench, NAMESPACE, sim, "operator-trace", DRIFT_INTERVAL_SECONDS="3600").start()
        wall_minus_monotonic = time.time() - time.monotonic()
        windows = []
        for i in range(n + 1):  # the first one warms up (imports, connections, token), not counted
            name = f"trace-{i}"
            sent = time.time()
            bench.create_resource(NAMESPACE, name, f"Trace-{i}")
            ready = bench.watch.wait_ready([(NAMESPACE, name)], 60) + wall_minus_monotonic
            if i:
                windows.append((name, sent, ready))
            time.sleep(gap)  # the budget refills, as in the time-to-Ready runs
        time.sleep(1.0)
        audit = bench.audit.events(0)
        requests = sim.requests()
        assert op.proc is not None
        log_lines = []
        for raw in op.proc.log_text().splitlines():
            try:
                log_lines.append(json.loads(raw))
            except ValueError:
                continue
        op.stop()
        bench.create_namespace(f"{NAMESPACE}-baseline", baseline=True)
        baseline = statistics.median(baseline_times(bench, sim, f"{NAMESPACE}-baseline", n))
        sim.stop()
    finally:
        bench.stop()

    offsets: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
    totals = []
    for name, sent, ready in windows:
        end = ready + TAIL
        steps = _numbered(_kube_steps(audit, sent, end) + _pingone_steps(requests, sent, end)
                          + _kopf_steps(log_lines, name, sent, end) + [(ready, ready, "bench: Ready seen")])
        totals.append(ready - sent)
        for begin, finish, label in steps:
            offsets[label].append((begin - sent, finish - sent))
        if each:
            print(f"--- {name}: Ready after {1000 * (ready - sent):.1f} ms")
            for begin, finish, label in steps:
                took = f" ({1000 * (finish - begin):.1f} ms)" if finish > begin else ""
                print(f"{1000 * (begin - sent):8.1f} ms  {label}{took}")

    print(f"\nMedian over {len(windows)} creates, from the bench's create request (ms): "
          f"Ready after {1000 * statistics.median(totals):.1f} ms; the bare baseline "
          f"(bench/baseline.py, same run) after {1000 * baseline:.1f} ms")
    print(f"{'start':>8} {'end':>8} {'took':>6}  step (in how many creates)")
    for label, pairs in sorted(offsets.items(), key=lambda item: statistics.median(b for b, _ in item[1])):
        begin = statistics.median(b for b, _ in pairs)
        finish = statistics.median(f for _, f in pairs)
        print(f"{1000 * begin:8.1f} {1000 * finish:8.1f} {1000 * (finish - begin):6.1f}  {label} ({len(pairs)})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.trace", description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=20, help="creates traced (after one warm-up)")
    ap.add_argument("--each", action="store_true", help="also print each create's own timeline")
    ap.add_argument("--gap", type=float, default=READY_PAUSE,
                    help="seconds from one create's Ready to the next create (0: back to back, paced by the budget)")
    args = ap.parse_args(argv)
    progress(f"tracing {args.n} creates, one at a time")
    trace(args.n, args.each, args.gap)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
