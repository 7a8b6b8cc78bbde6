"""The five benchmarks of issue 7. Each returns a dict of raw per-run figures and summaries."""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import queue
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from pingone_operator.config import OperatorSettings, PingOneSettings

from .baseline import Baseline, Pace
from .harness import (GROUP, PLURAL, VERSION, AuditLog, Bench, Operator, Simulator, answer_times, count_diff,
                      progress, status_patch_times)
from .stats import percentile, phases, slope, summary, watch_delays


@dataclass
class Params:
    reps: int = 3  # repeated runs of time-to-Ready, memory at 100, bulk and restart
    seq_n: int = 50  # sequential creates per time-to-Ready run
    bulk_n: int = 1000  # resources created at once (bulk, steady state, memory, restart)
    mem_small: int = 100  # the middle memory reading
    rate_limit: float = 100.0  # simulator requests/s (PingOne: 100/s per source IP)
    bulk_rps: float = 95.0  # PINGONE_REQUESTS_PER_SECOND of the operator in the bulk test
    drift: float = 30.0  # shortened DRIFT_INTERVAL_SECONDS for steady state
    intervals: int = 6  # measured drift intervals (6 x 600 s = one hour at the default interval)
    ready_timeout: float = 900.0
    scale_n: int = 10000  # resources of the scale run, across scale_envs environments
    scale_envs: int = 10
    scale_drift: float = 150.0  # long enough for 10,000 GETs at 95/s (105 s)
    profile: bool = False  # sample the operator with py-spy during the bulk run and the scale restart

    @classmethod
    def quick(cls) -> Params:
        return cls(reps=1, seq_n=10, bulk_n=200, mem_small=50, drift=15.0, intervals=3, ready_timeout=300.0,
                   scale_n=600, scale_envs=3, scale_drift=20.0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _names(prefix: str, n: int) -> list[tuple[str, str]]:
    tag = uuid.uuid4().hex[:6]
    return [(f"{prefix}-{i:04d}", f"{prefix}-{tag}-{i:04d}") for i in range(n)]


def _pingone_writes(kinds: dict[str, int]) -> int:
    return sum(v for k, v in kinds.items() if k.split(" ")[0] in ("POST", "PUT", "PATCH", "DELETE"))


def _pingone_reads(kinds: dict[str, int]) -> int:
    return sum(v for k, v in kinds.items() if k.startswith("GET"))


# ------------------------------------------------------------------------------------------------
# 1. Time to Ready (sequential) vs the baseline
# ------------------------------------------------------------------------------------------------

# A pause after each Ready in the time-to-Ready runs, operator and baseline alike, in which the
# operator's PingOne budget refills: a create spends 2 of its tokens (default 50/s, bursts of 5).
# Back to back, creates would ask for more than that budget on a fast machine, and each create's
# second call would wait ~20 ms for a token: the budget's pace, which bulk measures, not a create's
# latency.
READY_PAUSE = 0.1


def time_to_ready(b: Bench, p: Params) -> dict[str, Any]:
    runs = []
    for rep in range(p.reps):
        sim = Simulator(b, f"sim-seq-{rep}")
        ns, base_ns = f"seq-{rep}", f"seq-baseline-{rep}"
        b.create_namespace(ns)
        b.create_namespace(base_ns, baseline=True)
        op = Operator(b, ns, sim, f"operator-seq-{rep}").start()
        # One warm-up resource each (imports, connections, the cached token), not measured.
        op_times = []
        for i, (name, app) in enumerate(_names("seq", p.seq_n + 1)):
            t = b.create_resource(ns, name, app)
            done = b.watch.wait_ready([(ns, name)], 120)
            if i:
                op_times.append(done - t)
            time.sleep(READY_PAUSE)
        op.proc.stop(30)

        base_times = baseline_times(b, sim, base_ns, p.seq_n)
        sim.stop()
        run = {
            "operator_p50_s": percentile(op_times, 50), "operator_p95_s": percentile(op_times, 95),
            "baseline_p50_s": percentile(base_times, 50), "baseline_p95_s": percentile(base_times, 95),
            "operator_s": [round(x, 4) for x in op_times], "baseline_s": [round(x, 4) for x in base_times],
        }
        run["ratio_p50"] = run["operator_p50_s"] / run["baseline_p50_s"]
        run["ratio_p95"] = run["operator_p95_s"] / run["baseline_p95_s"]
        runs.append(run)
        progress(f"time to Ready run {rep + 1}/{p.reps}: operator p50 {run['operator_p50_s'] * 1000:.0f} ms "
                 f"p95 {run['operator_p95_s'] * 1000:.0f} ms; baseline p50 {run['baseline_p50_s'] * 1000:.0f} ms "
                 f"p95 {run['baseline_p95_s'] * 1000:.0f} ms; ratio {run['ratio_p50']:.2f}x")
    return {"runs": runs, **{k: summary([r[k] for r in runs]) for k in (
        "operator_p50_s", "operator_p95_s", "baseline_p50_s", "baseline_p95_s", "ratio_p50", "ratio_p95")}}


def baseline_times(b: Bench, sim: Simulator, namespace: str, n: int) -> list[float]:
    """The bare baseline's time to Ready for `n` sequential creates (after one warm-up)."""
    pingone = sim.pingone
    base = Baseline(api_url=pingone.api_url, auth_url=pingone.auth_url, environment_id=pingone.environment_id,
                    client_id=pingone.client_id, client_secret=pingone.client_secret, api=b.api)
    times = []
    for i, (name, app) in enumerate(_names("base", n + 1)):
        t = time.monotonic()
        obj = b.custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, {
            "apiVersion": f"{GROUP}/{VERSION}", "kind": "PingOneApplication", "metadata": {"name": name},
            "spec": {**_seed(), "name": app}})
        base.provision(namespace, name, obj["spec"], obj["metadata"]["uid"])
        done = b.watch.wait_ready([(namespace, name)], 60)
        if i:
            times.append(done - t)
        time.sleep(READY_PAUSE)
    base.close()
    return times


def baseline_bulk(b: Bench, sim: Simulator, namespace: str, n: int, rps: float,
                  timeout: float) -> tuple[float, float]:
    """The bare baseline at bulk, on this machine at this moment: `n` objects created at once (16
    threads, `Bench.create_each`) while as many threads as the operator's PingOne concurrency
    provision each as soon as it exists, their PingOne calls paced at `rps` as the operator's are.
    Returns the moments (monotonic) of the first create and of the last Ready the bench's watch sees."""
    pingone = sim.pingone
    base = Baseline(api_url=pingone.api_url, auth_url=pingone.auth_url, environment_id=pingone.environment_id,
                    client_id=pingone.client_id, client_secret=pingone.client_secret, api=b.api, pace=Pace(rps))
    base.token()  # one token before the burst, as the operator holds one
    items = _names("bbase", n)
    created: queue.Queue[dict[str, Any] | None] = queue.Queue()
    workers = _field_default(PingOneSettings, "max_concurrency")

    def provision() -> None:
        while (obj := created.get()) is not None:
            base.provision(namespace, obj["metadata"]["name"], obj["spec"], obj["metadata"]["uid"])

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        provisioners = [pool.submit(provision) for _ in range(workers)]
        t0 = time.monotonic()
        for obj in b.create_each(namespace, items):
            created.put(obj)
        for _ in provisioners:
            created.put(None)
        for provisioner in provisioners:
            provisioner.result()  # a failed provision fails the bench here, not after the Ready timeout
    done = b.watch.wait_ready([(namespace, name) for name, _ in items], timeout)
    base.close()
    return t0, done


def _phase_line(split: dict[str, Any]) -> str:
    return (f"first PingOne call after {split['before_first_call_s']:.1f} s, calls for {split['calls_s']:.1f} s "
            f"at {split['calls_per_s']:.1f}/s, last Ready {split['after_last_call_s']:.2f} s after the last call")


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.0f} ms"


def _field_default(cls: type, name: str) -> Any:
    return next(f.default for f in dataclasses.fields(cls) if f.name == name)


def _seed() -> dict[str, Any]:
    from .harness import SEED_SPEC

    return dict(SEED_SPEC)


# ------------------------------------------------------------------------------------------------
# 4a. Memory at 0 and at a few resources
# ------------------------------------------------------------------------------------------------

def memory_small(b: Bench, p: Params) -> dict[str, Any]:
    runs = []
    for rep in range(p.reps):
        sim = Simulator(b, f"sim-mem-{rep}")
        ns = f"mem-{rep}"
        b.create_namespace(ns)
        op = Operator(b, ns, sim, f"operator-mem-{rep}").start()
        op.wait_idle()
        rss0 = op.rss_mb()
        items = _names("mem", p.mem_small)
        b.create_many(ns, items)
        b.watch.wait_ready([(ns, n) for n, _ in items], p.ready_timeout)
        op.wait_idle()
        rss_small = op.rss_mb()
        op.proc.stop(30)
        sim.stop()
        runs.append({"rss0_mb": rss0, "rss_small_mb": rss_small})
        progress(f"memory run {rep + 1}/{p.reps}: RSS {rss0:.1f} MB at 0, {rss_small:.1f} MB at {p.mem_small}")
    return {"runs": runs, "rss0_mb": summary([r["rss0_mb"] for r in runs]),
            "rss_small_mb": summary([r["rss_small_mb"] for r in runs])}


# ------------------------------------------------------------------------------------------------
# 2. Bulk convergence under the rate limit (the last run's population is kept for 3, 4 and 5)
# ------------------------------------------------------------------------------------------------

@dataclass
class Population:
    sim: Simulator
    operator: Operator
    namespace: str
    n: int


def bulk(b: Bench, p: Params) -> tuple[dict[str, Any], Population]:
    runs = []
    keep: Population | None = None
    floor_calls = 2 * p.bulk_n + 1  # POST + GET secret per application, one token
    floor_s = floor_calls / p.rate_limit
    for rep in range(p.reps):
        sim = Simulator(b, f"sim-bulk-{rep}", rate_limit=p.rate_limit)
        base_ns = f"bulk-base-{rep}"
        b.create_namespace(base_ns, baseline=True)
        progress(f"bulk run {rep + 1}/{p.reps}: the bare baseline provisions {p.bulk_n} created at once")
        base_t0, base_done = baseline_bulk(b, sim, base_ns, p.bulk_n, p.bulk_rps, p.ready_timeout)
        base_wall, base_phases = base_done - base_t0, phases(answer_times(sim.requests()), base_t0, base_done)
        progress(f"  bare baseline: all {p.bulk_n} Ready in {base_wall:.1f} s = {base_wall / floor_s:.2f}x the floor; "
                 f"{_phase_line(base_phases)}")
        ns = f"bulk-{rep}"
        b.create_namespace(ns)
        op = Operator(b, ns, sim, f"operator-bulk-{rep}", PINGONE_REQUESTS_PER_SECOND=str(p.bulk_rps)).start()
        op.wait_idle()
        rss0 = op.rss_mb()
        sim.clear()
        audit0 = b.audit.mark()
        cpu0 = op.cpu()
        items = _names(f"bulk{rep}", p.bulk_n)
        keys = [(ns, n) for n, _ in items]
        progress(f"bulk run {rep + 1}/{p.reps}: creating {p.bulk_n} resources at once "
                 f"(simulator limit {p.rate_limit:g}/s, operator pacing {p.bulk_rps:g}/s)")
        profiler = None
        if p.profile:
            from .profiling import Profile

            profiler = Profile(op.pid, b.workdir / f"profile-bulk-{rep}.txt")
        t0, t_created = b.create_many(ns, items)
        progress(f"  created {p.bulk_n} in {t_created - t0:.1f} s")

        def tick(ready: int, total: int) -> None:
            c = sim.counts()
            progress(f"  {ready}/{total} Ready after {time.monotonic() - t0:.0f} s; {c['total']} PingOne requests")

        t_last = b.watch.wait_ready(keys, p.ready_timeout, tick=tick)
        wall = t_last - t0
        cpu_converge = op.cpu() - cpu0
        profile = profiler.stop() if profiler else None
        op.wait_idle()
        rss_n, rss_peak = op.rss_mb(), op.peak_rss_mb()
        audit_events = b.audit.events(audit0, b.audit.mark())
        audit = AuditLog.tally(audit_events)
        delays = watch_delays(status_patch_times(audit_events), {k: b.watch.ready_at[k] for k in keys})
        requests = sim.requests()
        run_phases = phases(answer_times(requests), t0, t_last)
        statuses = collections.Counter(r["status"] for r in requests)
        counts = count_diff(sim.counts(), {})
        n_429 = statuses.get(429, 0)
        names = [a.get("name") for a in sim.applications() if str(a.get("name", "")).startswith(f"bulk{rep}-")]
        dupes = len(names) - len(set(names))
        run = {
            "wall_s": wall, "create_s": t_created - t0, "floor_s": floor_s, "ratio_to_floor": wall / floor_s,
            "baseline_wall_s": base_wall, "ratio_to_baseline": wall / base_wall,
            "phases": run_phases, "baseline_phases": base_phases, "watch_delay": delays,
            "pingone_requests": len(requests), "status_counts": {str(k): v for k, v in statuses.items()},
            "requests_429": n_429, "fraction_429": n_429 / max(1, len(requests)), "by_kind": counts["kinds"],
            "applications": len(names), "duplicates": dupes, "missing": p.bulk_n - len(set(names)),
            "k8s": audit, "k8s_writes_per_resource": audit["writes"] / p.bulk_n,
            "operator_cpu_s": cpu_converge, "rss0_mb": rss0, "rss_n_mb": rss_n, "rss_peak_mb": rss_peak,
        }
        if profile:
            run["profile"] = profile
        runs.append(run)
        progress(f"bulk run {rep + 1}/{p.reps}: all {p.bulk_n} Ready in {wall:.1f} s = {run['ratio_to_floor']:.2f}x "
                 f"the floor ({floor_s:.1f} s), {run['ratio_to_baseline']:.2f}x the bare baseline; {len(requests)} PingOne requests, {n_429} x 429 "
                 f"({run['fraction_429'] * 100:.2f}%), {dupes} duplicates; operator CPU {cpu_converge:.1f} s; "
                 f"RSS {rss_n:.1f} MB (peak {rss_peak:.1f}); {audit['writes']} Kubernetes writes; {_phase_line(run_phases)}; "
                 f"Ready seen {_ms(delays['p50_s'])} (p50), {_ms(delays['max_s'])} (max) after its status patch")
        if rep == p.reps - 1:
            keep = Population(sim, op, ns, p.bulk_n)
        else:
            op.proc.stop(30)
            sim.stop()
    assert keep is not None
    result = {"runs": runs, "floor_calls": floor_calls, "floor_s": floor_s}
    for k in ("wall_s", "ratio_to_floor", "baseline_wall_s", "ratio_to_baseline", "requests_429", "fraction_429", "duplicates", "pingone_requests",
              "k8s_writes_per_resource", "operator_cpu_s", "rss0_mb", "rss_n_mb", "rss_peak_mb"):
        result[k] = summary([r[k] for r in runs])
    result["calls_per_s"] = summary([r["phases"]["calls_per_s"] for r in runs])
    result["baseline_calls_per_s"] = summary([r["baseline_phases"]["calls_per_s"] for r in runs])
    for k in ("p50_s", "max_s"):
        result[f"watch_delay_{k}"] = summary([r["watch_delay"][k] for r in runs])
    return result, keep


# ------------------------------------------------------------------------------------------------
# 5. Restart with in-sync resources
# ------------------------------------------------------------------------------------------------

def restart(b: Bench, p: Params, pop: Population) -> dict[str, Any]:
    runs = []
    for rep in range(p.reps):
        c0 = pop.sim.counts()
        a0 = b.audit.mark()
        stop_s = pop.operator.stop()
        op = Operator(b, pop.namespace, pop.sim, f"operator-restart-{rep}",
                      PINGONE_REQUESTS_PER_SECOND=str(p.bulk_rps)).start(wait=False)
        pop.operator = op
        idle = op.wait_idle()
        rss = op.rss_mb()
        counts = count_diff(pop.sim.counts(), c0)
        audit = AuditLog.tally(b.audit.events(a0, b.audit.mark()))
        kinds = counts["kinds"]
        run = {"time_to_idle_s": idle, "shutdown_s": stop_s, "pingone_writes": _pingone_writes(kinds),
               "pingone_reads": _pingone_reads(kinds), "by_kind": kinds, "k8s": audit,
               "k8s_writes": audit["writes"], "rss_mb": rss}
        runs.append(run)
        progress(f"restart run {rep + 1}/{p.reps}: idle {idle:.1f} s after start (shutdown took {stop_s:.1f} s); "
                 f"PingOne writes {run['pingone_writes']}, reads {run['pingone_reads']} {kinds}; "
                 f"Kubernetes writes {audit['writes']} {audit['writes_by']}")
    return {"runs": runs, **{k: summary([r[k] for r in runs]) for k in (
        "time_to_idle_s", "shutdown_s", "pingone_writes", "pingone_reads", "k8s_writes", "rss_mb")}}


# ------------------------------------------------------------------------------------------------
# 3 + 4b. Steady state with a shortened drift interval; RSS over an hour-equivalent of ticks
# ------------------------------------------------------------------------------------------------

def steady_state(b: Bench, p: Params, pop: Population) -> dict[str, Any]:
    pop.operator.stop()
    op = Operator(b, pop.namespace, pop.sim, "operator-steady", PINGONE_REQUESTS_PER_SECOND=str(p.bulk_rps),
                  DRIFT_INTERVAL_SECONDS=str(p.drift)).start()
    pop.operator = op
    # First checks are spread over one interval after start, and a check waits 5 s of quiet:
    # measure from when every resource has had its first tick.
    warmup = p.drift + 10.0
    progress(f"steady state: drift interval {p.drift:g} s; warming up {warmup:.0f} s, then {p.intervals} intervals")
    time.sleep(max(0.0, op.started_at + warmup - time.monotonic()))
    samples = []
    t_next = time.monotonic()
    for k in range(p.intervals + 1):
        time.sleep(max(0.0, t_next - time.monotonic()))
        samples.append({"t": time.monotonic(), "counts": pop.sim.counts(), "audit": b.audit.path.stat().st_size,
                        "rss_mb": op.rss_mb(), "cpu_s": op.cpu()})
        if k:
            progress(f"  interval {k}/{p.intervals}: {count_diff(samples[-1]['counts'], samples[-2]['counts'])['kinds']}"
                     f"; RSS {samples[-1]['rss_mb']:.1f} MB")
        t_next = samples[0]["t"] + (k + 1) * p.drift
    intervals = []
    ticks_total, tick_axis, rss_axis = 0, [0.0], [samples[0]["rss_mb"]]
    for prev, cur in zip(samples, samples[1:]):
        kinds = count_diff(cur["counts"], prev["counts"])["kinds"]
        audit = AuditLog.tally(b.audit.events(prev["audit"], cur["audit"]))
        ticks = kinds.get("GET application", 0)
        ticks_total += ticks
        tick_axis.append(float(ticks_total))
        rss_axis.append(cur["rss_mb"])
        intervals.append({
            "seconds": cur["t"] - prev["t"], "by_kind": kinds,
            "get_per_resource": ticks / pop.n, "secret_get_per_resource": kinds.get("GET secret", 0) / pop.n,
            "list_per_resource": kinds.get("GET list", 0) / pop.n,
            "pingone_writes": _pingone_writes(kinds), "k8s_writes": audit["writes"], "k8s_reads": audit["reads"],
            "k8s_writes_by": audit["writes_by"], "k8s_reads_by": audit["reads_by"],
            "rss_mb": cur["rss_mb"], "cpu_fraction": (cur["cpu_s"] - prev["cpu_s"]) / (cur["t"] - prev["t"]),
        })
    growth_per_tick_bytes = slope(tick_axis, rss_axis) * 1e6
    result = {
        "drift_interval_s": p.drift, "intervals": intervals, "ticks": ticks_total,
        "secret_check_interval_s": OperatorSettings().secret_check_interval_seconds,  # the operator's default
        "rss_start_mb": samples[0]["rss_mb"], "rss_end_mb": samples[-1]["rss_mb"],
        "rss_growth_mb": samples[-1]["rss_mb"] - samples[0]["rss_mb"],
        "rss_growth_per_tick_bytes": growth_per_tick_bytes,
    }
    for k in ("get_per_resource", "secret_get_per_resource", "list_per_resource", "pingone_writes", "k8s_writes",
              "k8s_reads", "rss_mb", "cpu_fraction"):
        result[k] = summary([i[k] for i in intervals])
    writes_by: collections.Counter[str] = collections.Counter()
    for i in intervals:
        writes_by.update(i["k8s_writes_by"])
    result["k8s_writes_by"] = dict(writes_by)
    progress(f"steady state: GET/resource/interval {result['get_per_resource']['median']:.3f}, PingOne writes "
             f"{sum(i['pingone_writes'] for i in intervals)}, Kubernetes writes {sum(writes_by.values())} "
             f"{dict(writes_by)}; RSS {samples[0]['rss_mb']:.1f} -> {samples[-1]['rss_mb']:.1f} MB over "
             f"{ticks_total} ticks ({growth_per_tick_bytes:.0f} B/tick)")
    return result


# ------------------------------------------------------------------------------------------------
# 6. Scale: many resources across several environments on one operator
# ------------------------------------------------------------------------------------------------

def scale(b: Bench, p: Params) -> dict[str, Any]:
    """`scale_n` applications across `scale_envs` environments of one simulator (a PingOneConnection
    and a namespace each, one PingOne host: one shared budget), on one operator process: bulk
    convergence, memory, a steady-state interval, and a restart (list and resume them all)."""
    from .harness import OPERATOR_NS

    per_env = p.scale_n // p.scale_envs
    sim = Simulator(b, "sim-scale", rate_limit=p.rate_limit)
    namespaces = [f"scale-{i}" for i in range(p.scale_envs)]
    environments = []
    for ns in namespaces:
        b.create_namespace(ns)
        environments.append(b.connection(ns, sim, ns))
    env = {"PINGONE_REQUESTS_PER_SECOND": str(p.bulk_rps), "OPERATOR_NAMESPACE": OPERATOR_NS}
    op = Operator(b, namespaces, sim, "operator-scale", **env).start()  # default drift: no ticks in the burst
    op.wait_idle()
    rss0 = op.rss_mb()
    sim.clear()
    audit0, cpu0 = b.audit.mark(), op.cpu()
    floor_calls = 2 * p.scale_n + p.scale_envs  # POST + GET secret per application, a token per environment
    floor_s = floor_calls / p.rate_limit
    progress(f"scale: creating {p.scale_n:,} resources in {p.scale_envs} namespaces/environments "
             f"(floor {floor_s:.0f} s at {p.rate_limit:g}/s)")
    keys: list[tuple[str, str]] = []
    t0 = time.monotonic()
    for i, ns in enumerate(namespaces):
        items = _names(f"s{i}", per_env)
        b.create_many(ns, items, connection=ns)
        keys += [(ns, n) for n, _ in items]
    t_created = time.monotonic()
    progress(f"  created {len(keys):,} in {t_created - t0:.0f} s")

    def tick(ready: int, total: int) -> None:
        progress(f"  {ready:,}/{total:,} Ready after {time.monotonic() - t0:.0f} s; RSS {op.rss_mb():.0f} MB")

    wall = b.watch.wait_ready(keys, p.ready_timeout * p.scale_envs, tick=tick, tick_every=30) - t0
    cpu = op.cpu() - cpu0
    progress(f"  all {len(keys):,} Ready in {wall:.0f} s = {wall / floor_s:.2f}x the floor; waiting for the "
             f"operator to go idle (minutes at this size)")
    op.wait_idle(timeout=1800)
    rss_n, rss_peak = op.rss_mb(), op.peak_rss_mb()
    audit = AuditLog.tally(b.audit.events(audit0, b.audit.mark()))
    requests = sim.requests()
    run_phases = phases(answer_times(requests), t0, t0 + wall)
    n_429 = sum(1 for r in requests if r["status"] == 429)
    names = [a.get("name") for e in environments for a in sim.applications(e)]
    ours = [n for n in names if str(n).startswith("s")]
    result: dict[str, Any] = {
        "n": len(keys), "environments": p.scale_envs, "floor_calls": floor_calls, "floor_s": floor_s,
        "wall_s": wall, "create_s": t_created - t0, "ratio_to_floor": wall / floor_s,
        "pingone_requests": len(requests), "requests_429": n_429, "fraction_429": n_429 / max(1, len(requests)),
        "duplicates": len(ours) - len(set(ours)), "k8s_writes_per_resource": audit["writes"] / len(keys),
        "operator_cpu_s": cpu, "rss0_mb": rss0, "rss_n_mb": rss_n, "rss_peak_mb": rss_peak, "phases": run_phases,
    }
    progress(f"scale: all {len(keys):,} Ready in {wall:.0f} s = {wall / floor_s:.2f}x the floor; {len(requests):,} "
             f"PingOne requests, {n_429} x 429, {result['duplicates']} duplicates; RSS {rss_n:.0f} MB "
             f"(peak {rss_peak:.0f}); {result['k8s_writes_per_resource']:.1f} Kubernetes writes per resource; "
             f"{_phase_line(run_phases)}")

    # Restart (list and resume them all), with a drift interval the budget allows at this size.
    c0, a0 = sim.counts(), b.audit.mark()
    result["shutdown_s"] = op.stop()
    op = Operator(b, namespaces, sim, "operator-scale-restart", DRIFT_INTERVAL_SECONDS=str(p.scale_drift),
                  **env).start(wait=False)
    # Drift ticks (10,000 per interval, the first ones spread over it) keep the process busy: the
    # restart is done when kopf has resumed every object.
    profiler = None
    if p.profile:
        from .profiling import Profile

        profiler = Profile(op.pid, b.workdir / "profile-scale-restart.txt")
    result["restart_idle_s"] = op.wait_resumed(len(keys))
    if profiler:
        result["restart_profile"] = profiler.stop()
    kinds = count_diff(sim.counts(), c0)["kinds"]
    restart_audit = AuditLog.tally(b.audit.events(a0, b.audit.mark()))
    result.update({"restart_pingone_writes": _pingone_writes(kinds), "restart_pingone_reads": _pingone_reads(kinds),
                   "restart_k8s_writes": restart_audit["writes"], "restart_rss_mb": op.rss_mb()})
    progress(f"scale restart: all resumed {result['restart_idle_s']:.1f} s after start; PingOne writes "
             f"{result['restart_pingone_writes']}, reads {result['restart_pingone_reads']}; Kubernetes writes "
             f"{restart_audit['writes']}; RSS {result['restart_rss_mb']:.0f} MB")

    # Steady state: one drift interval, after the first (its checks are spread over it after start-up).
    time.sleep(max(0.0, op.started_at + p.scale_drift + 10 - time.monotonic()))
    c0, a0 = sim.counts(), b.audit.mark()
    time.sleep(p.scale_drift)
    kinds = count_diff(sim.counts(), c0)["kinds"]
    steady_audit = AuditLog.tally(b.audit.events(a0, b.audit.mark()))
    result.update({"steady_get_per_resource": kinds.get("GET application", 0) / len(keys),
                   "steady_pingone_writes": _pingone_writes(kinds), "steady_k8s_writes": steady_audit["writes"],
                   "steady_rss_mb": op.rss_mb()})
    progress(f"scale steady state ({p.scale_drift:g} s): {kinds}; Kubernetes writes {steady_audit['writes']}; "
             f"RSS {result['steady_rss_mb']:.0f} MB")
    op.proc.stop(30)
    sim.stop()
    return result
