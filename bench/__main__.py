"""`make bench` = `python -m bench`: run the suite, write bench/results/latest.json, print the table."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import scenarios
from .harness import ROOT, Bench, progress
from .scenarios import Params

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
README = HERE / "README.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
FLAT_BYTES_PER_TICK = 100.0  # "flat": under 100 B per tick, i.e. < 0.6 MB per hour-equivalent at 1,000


def _fmt(value: float | None, scale: float = 1.0, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value * scale:,.{digits}f}"


def _row(label: str, s: dict[str, Any] | None, target: str, ok: bool | None, *, scale: float = 1.0,
         digits: int = 1, unit: str = "") -> list[str]:
    s = s or {}
    verdict = "–" if ok is None else ("yes" if ok else "**no**")
    return [label + (f" ({unit})" if unit else ""), _fmt(s.get("median"), scale, digits),
            _fmt(s.get("min"), scale, digits), _fmt(s.get("max"), scale, digits), target, verdict]


def _single(value: float | None) -> dict[str, Any]:
    return {"median": value, "min": value, "max": value}


def table(results: dict[str, Any]) -> str:
    p = results["params"]
    rows: list[list[str]] = []
    t = results.get("time_to_ready")
    if t:
        ratio = t["ratio_p50"]["median"]
        rows += [
            _row(f"1. Time to Ready p50, operator ({p['seq_n']} sequential)", t["operator_p50_s"], "", None,
                 scale=1000, digits=0, unit="ms"),
            _row("1. Time to Ready p95, operator", t["operator_p95_s"], "", None, scale=1000, digits=0, unit="ms"),
            _row("1. Time to Ready p50, baseline", t["baseline_p50_s"], "", None, scale=1000, digits=0, unit="ms"),
            _row("1. Time to Ready p95, baseline", t["baseline_p95_s"], "", None, scale=1000, digits=0, unit="ms"),
            _row("1. Ratio p50 operator / baseline", t["ratio_p50"], "≤ 1.3×", ratio is not None and ratio <= 1.3,
                 digits=2, unit="×"),
            _row("1. Ratio p95 operator / baseline", t["ratio_p95"], "", None, digits=2, unit="×"),
        ]
    bk = results.get("bulk")
    if bk:
        n = p["bulk_n"]
        rows += [
            _row(f"2. Bulk: all {n:,} Ready, wall time", bk["wall_s"], f"floor {bk['floor_s']:.1f} s", None, unit="s"),
            _row(f"2. Bulk: ratio to the floor ({bk['floor_calls']:,} calls ÷ {p['rate_limit']:g}/s)",
                 bk["ratio_to_floor"], "≤ 1.2×", bk["ratio_to_floor"]["median"] <= 1.2, digits=2, unit="×"),
            _row(f"2. Bulk: bare baseline, all {n:,} Ready (same pacing and concurrency), wall time",
                 bk["baseline_wall_s"], "", None, unit="s"),
            _row("2. Bulk: ratio operator / bare baseline", bk["ratio_to_baseline"],
                 "", None, digits=2, unit="×"),
            _row("2. Bulk: PingOne calls per second, first call to last, operator", bk.get("calls_per_s"),
                 f"pacing {p['bulk_rps']:g}/s", None, digits=1),
            _row("2. Bulk: PingOne calls per second, first call to last, bare baseline",
                 bk.get("baseline_calls_per_s"), "", None, digits=1),
            _row("2. Bulk: the bench's watch sees Ready after the status patch, p50", bk.get("watch_delay_p50_s"),
                 "", None, scale=1000, digits=1, unit="ms"),
            _row("2. Bulk: the same, slowest object (kopf waits up to 30 s)", bk.get("watch_delay_max_s"),
                 "", None, scale=1000, digits=0, unit="ms"),
            _row("2. Bulk: 429 responses", bk["requests_429"], "< 1% of requests",
                 bk["fraction_429"]["max"] < 0.01, digits=0),
            _row("2. Bulk: 429 share of PingOne requests", bk["fraction_429"], "< 1%",
                 bk["fraction_429"]["max"] < 0.01, scale=100, digits=2, unit="%"),
            _row("2. Bulk: PingOne requests sent", bk["pingone_requests"], "", None, digits=0),
            _row("2. Bulk: duplicate applications", bk["duplicates"], "0", bk["duplicates"]["max"] == 0, digits=0),
            _row("2. Bulk: Kubernetes writes per resource", bk["k8s_writes_per_resource"], "≤ 5",
                 bk["k8s_writes_per_resource"]["max"] <= 5, digits=1),
            _row("2. Bulk: operator CPU while converging", bk["operator_cpu_s"], "", None, unit="s"),
        ]
    st = results.get("steady_state")
    if st:
        g, sec = st["get_per_resource"], st["secret_get_per_resource"]
        # Each secret is re-read once per secret-check interval, at a random point of it after a restart.
        expected_secret = st["drift_interval_s"] / st["secret_check_interval_s"]
        rows += [
            _row(f"3. Steady: GET application per resource per interval ({st['drift_interval_s']:g} s)", g,
                 "exactly 1", abs(g["median"] - 1.0) < 0.02, digits=3),
            _row("3. Steady: GET secret per resource per interval", sec,
                 f"{expected_secret:.4f} (one per secret-check interval)",
                 abs(_mean(sec) / expected_secret - 1) < 0.5, digits=4),
            _row("3. Steady: GET list per resource per interval", st["list_per_resource"], "0",
                 st["list_per_resource"]["max"] == 0, digits=3),
            _row("3. Steady: PingOne writes per interval", st["pingone_writes"], "0", st["pingone_writes"]["max"] == 0,
                 digits=0),
            _row("3. Steady: Kubernetes writes per interval (audit log)", st["k8s_writes"], "0",
                 st["k8s_writes"]["max"] == 0, digits=0),
            _row("3. Steady: Kubernetes reads per interval (audit log)", st["k8s_reads"], "", None, digits=0),
            _row("3. Steady: operator CPU (share of one core)", st["cpu_fraction"], "", None, scale=100, digits=1,
                 unit="%"),
        ]
    mem = results.get("memory_small")
    if mem or bk or st:
        if mem:
            rows.append(_row("4. RSS at 0 resources", mem["rss0_mb"], "", None, unit="MB"))
            rows.append(_row(f"4. RSS at {p['mem_small']:,} resources", mem["rss_small_mb"], "", None, unit="MB"))
        if bk:
            rows.append(_row(f"4. RSS at {p['bulk_n']:,} resources, right after the bulk create", bk["rss_n_mb"], "< 150 MB",
                             bk["rss_n_mb"]["max"] < 150, unit="MB"))
            if "rss_peak_mb" in bk:
                rows.append(_row("4. RSS peak during the bulk create (VmHWM: every sample)", bk["rss_peak_mb"],
                                 "< 150 MB", bk["rss_peak_mb"]["max"] < 150, unit="MB"))
        if st:
            rows.append(_row(f"4. RSS after an hour-equivalent ({st['ticks']:,} drift ticks)",
                             _single(st["rss_end_mb"]), "< 150 MB", st["rss_end_mb"] < 150, unit="MB"))
            late = late_growth_per_tick(st)
            rows.append(_row("4. RSS growth per drift tick, whole hour (least squares)",
                             _single(st["rss_growth_per_tick_bytes"]), "", None, digits=0, unit="B"))
            rows.append(_row("4. RSS growth per drift tick, second half of the hour", _single(late),
                             f"flat (< {FLAT_BYTES_PER_TICK:g} B)", late is not None and late < FLAT_BYTES_PER_TICK,
                             digits=0, unit="B"))
    rs = results.get("restart")
    if rs:
        rows.append(_row(f"4. RSS at {p['bulk_n']:,} resources after a restart (no burst)", rs["rss_mb"],
                         "< 150 MB", rs["rss_mb"]["median"] < 150, unit="MB"))
        rows += [
            _row(f"5. Restart with {p['bulk_n']:,} in sync: time until idle", rs["time_to_idle_s"], "", None, unit="s"),
            _row("5. Restart: PingOne writes", rs["pingone_writes"], "0", rs["pingone_writes"]["max"] == 0, digits=0),
            _row("5. Restart: PingOne reads", rs["pingone_reads"], "", None, digits=0),
            _row("5. Restart: Kubernetes writes", rs["k8s_writes"], "", None, digits=0),
            _row("5. Restart: graceful shutdown of the old operator", rs["shutdown_s"], "", None, unit="s"),
        ]
    sc = results.get("scale")
    if sc:
        n, envs = f"{sc['n']:,}", sc["environments"]
        floor_ok = sc["ratio_to_floor"] <= 1.3
        rows += [
            _row(f"6. Scale: all {n} Ready across {envs} environments, wall time", _single(sc["wall_s"]),
                 f"floor {sc['floor_s']:.0f} s", None, unit="s"),
            _row(f"6. Scale: ratio to the floor ({sc['floor_calls']:,} calls ÷ {p['rate_limit']:g}/s)",
                 _single(sc["ratio_to_floor"]), "≤ 1.3×", floor_ok, digits=2, unit="×"),
            _row("6. Scale: 429 share of PingOne requests", _single(sc["fraction_429"]), "< 1%",
                 sc["fraction_429"] < 0.01, scale=100, digits=2, unit="%"),
            _row("6. Scale: duplicate applications", _single(sc["duplicates"]), "0", sc["duplicates"] == 0, digits=0),
            _row("6. Scale: Kubernetes writes per resource", _single(sc["k8s_writes_per_resource"]), "≤ 5",
                 sc["k8s_writes_per_resource"] <= 5, digits=1),
            _row(f"6. Scale: RSS peak (VmHWM) with {n}", _single(sc["rss_peak_mb"]), "< 400 MB",
                 sc["rss_peak_mb"] < 400, unit="MB"),
            _row("6. Scale: RSS right after the burst", _single(sc["rss_n_mb"]), "< 400 MB", sc["rss_n_mb"] < 400,
                 unit="MB"),
            _row(f"6. Scale: steady, GET application per resource per interval ({p.get('scale_drift', 0):g} s)",
                 _single(sc["steady_get_per_resource"]), "exactly 1", abs(sc["steady_get_per_resource"] - 1) < 0.02,
                 digits=3),
            _row("6. Scale: steady, PingOne + Kubernetes writes per interval",
                 _single(sc["steady_pingone_writes"] + sc["steady_k8s_writes"]), "0",
                 sc["steady_pingone_writes"] + sc["steady_k8s_writes"] == 0, digits=0),
            _row(f"6. Scale: restart (list and resume {n}): time until all resumed", _single(sc["restart_idle_s"]),
                 "≤ 30 s", sc["restart_idle_s"] <= 30, unit="s"),
            _row("6. Scale: restart, PingOne + Kubernetes writes", _single(sc["restart_pingone_writes"]
                                                                           + sc["restart_k8s_writes"]),
                 "0", sc["restart_pingone_writes"] + sc["restart_k8s_writes"] == 0, digits=0),
            _row("6. Scale: RSS after the restart", _single(sc["restart_rss_mb"]), "< 400 MB",
                 sc["restart_rss_mb"] < 400, unit="MB"),
        ]
    head = ["Figure", "Median", "Min", "Max", "Target", "Met"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * 3 + ["---", "---"]) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def late_growth_per_tick(st: dict[str, Any]) -> float | None:
    """RSS growth per tick over the second half of the measured intervals (after the allocator's
    warm-up: the first intervals after a restart still fill arenas and caches)."""
    iv = st["intervals"]
    half = len(iv) // 2
    if half < 1:
        return None
    ticks = sum(i["by_kind"].get("GET application", 0) for i in iv[half:])
    return (iv[-1]["rss_mb"] - iv[half - 1]["rss_mb"]) * 1e6 / ticks if ticks else None


def _mean(s: dict[str, Any]) -> float:
    return sum(s["runs"]) / len(s["runs"]) if s["runs"] else float("nan")


def header(results: dict[str, Any]) -> str:
    m = results["meta"]
    return (f"Run {m['date']} on {m['cores']} cores ({m['machine']}), Python {m['python']}, kopf {m['kopf']}, "
            f"Kubernetes {m['kubernetes']}; `{m['command']}`, {m['duration_s'] / 60:.1f} min. Median, min and max "
            f"over {results['params']['reps']} runs (steady state: over {results['params']['intervals']} drift "
            "intervals).")


def update_readme(text: str) -> None:
    if not README.exists():
        return
    content = README.read_text()
    if START not in content or END not in content:
        return
    before, rest = content.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(f"{before}{START}\n{text}\n{END}{after}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description="pingone-operator benchmarks (issue 7)")
    ap.add_argument("--quick", action="store_true", help="a short smoke run (a few minutes)")
    ap.add_argument("--reps", type=int, help="repeated runs per figure")
    ap.add_argument("--seq-n", type=int, help="sequential creates per time-to-Ready run")
    ap.add_argument("--bulk-n", type=int, help="resources for bulk, steady state, memory and restart")
    ap.add_argument("--drift", type=float, help="shortened drift interval for the steady state (s)")
    ap.add_argument("--intervals", type=int, help="drift intervals measured in the steady state")
    ap.add_argument("--scale-n", type=int, help="resources of the scale run (default 10,000)")
    ap.add_argument("--scale-envs", type=int, help="environments (connections, namespaces) of the scale run")
    ap.add_argument("--only", default="ttr,mem,bulk,restart,steady,scale",
                    help="comma-separated subset of ttr,mem,bulk,restart,steady,scale (restart/steady need bulk)")
    ap.add_argument("--output", type=Path, default=RESULTS)
    ap.add_argument("--write-readme", choices=("auto", "yes", "no"), default="auto",
                    help="put the table into bench/README.md (auto: on full runs only)")
    ap.add_argument("--without-finalizer-policy", action="store_true",
                    help="do not install the chart's finalizer MutatingAdmissionPolicy (the operator adds "
                         "its finalizer itself, as on clusters before Kubernetes 1.36)")
    ap.add_argument("--profile", action="store_true",
                    help="sample the operator with py-spy during bulk convergence and the scale restart (needs py-spy)")
    ap.add_argument("--from-json", type=Path, metavar="PATH",
                    help="run nothing: print the table of an earlier result file (and update the README)")
    ap.add_argument("--keep", action="store_true", help="keep the logs and the audit log")
    args = ap.parse_args(argv)

    if args.from_json:
        results = json.loads(args.from_json.read_text())
        text = header(results) + "\n\n" + table(results)
        print(text)
        if args.write_readme == "yes" or (args.write_readme == "auto" and not results["meta"].get("quick")):
            update_readme(text)
        return 0
    p = Params.quick() if args.quick else Params()
    for name in ("reps", "seq_n", "bulk_n", "drift", "intervals", "scale_n", "scale_envs"):
        if getattr(args, name) is not None:
            setattr(p, name, getattr(args, name))
    p.profile = args.profile
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    import kopf  # noqa: F401

    from importlib.metadata import version

    started = time.monotonic()
    command = "make bench" if not (sys.argv[1:] if argv is None else argv) else \
        "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv)
    results: dict[str, Any] = {"params": p.as_dict(), "meta": {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cores": os.cpu_count(),
        "machine": platform.machine(), "python": platform.python_version(), "kopf": version("kopf"),
        "kubernetes": "", "command": command, "quick": args.quick,
        "finalizer_policy": not args.without_finalizer_policy}}
    progress(f"pingone-operator benchmarks ({'quick' if args.quick else 'full'}): {p.as_dict()}")
    bench = Bench(finalizer_policy=not args.without_finalizer_policy)
    failed = False
    try:
        bench.start()
        results["meta"]["kubernetes"] = bench.cp.version
        results["meta"]["operator_source_sha256"] = bench.source_digest
        if "ttr" in only:
            progress("== 1. time to Ready (sequential) vs the baseline")
            results["time_to_ready"] = scenarios.time_to_ready(bench, p)
        if "mem" in only:
            progress(f"== 4. memory at 0 and {p.mem_small} resources")
            results["memory_small"] = scenarios.memory_small(bench, p)
        if only & {"bulk", "restart", "steady"}:
            progress(f"== 2. bulk convergence of {p.bulk_n} resources")
            results["bulk"], population = scenarios.bulk(bench, p)
            if "restart" in only:
                progress(f"== 5. restart with {p.bulk_n} in-sync resources")
                results["restart"] = scenarios.restart(bench, p, population)
            if "steady" in only:
                progress(f"== 3. steady state and 4. memory over drift ticks ({p.bulk_n} resources)")
                results["steady_state"] = scenarios.steady_state(bench, p, population)
            population.operator.proc.stop(30)
            population.sim.stop()
        if "scale" in only:
            progress(f"== 6. scale: {p.scale_n:,} resources across {p.scale_envs} environments")
            results["scale"] = scenarios.scale(bench, p)
    except BaseException:
        failed = True
        traceback.print_exc()
        results["error"] = traceback.format_exc()
    finally:
        bench.stop(keep=args.keep or failed)
    results["meta"]["duration_s"] = time.monotonic() - started
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    text = header(results) + "\n\n" + table(results)
    print("\n" + text + "\n", flush=True)
    progress(f"results written to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    if not failed and (args.write_readme == "yes" or (args.write_readme == "auto" and not args.quick)):
        update_readme(text)
        progress("table written into bench/README.md")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
