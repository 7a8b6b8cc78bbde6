"""`pingone-operator run`: check the configuration, then run kopf with our handlers."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time

from ..config import ConfigError, OperatorSettings, load_operator_settings, load_pingone_settings

# Clients whose DEBUG output carries request or response bodies (a Secret's data among them):
# they never log below WARNING, whatever the operator's level.
QUIET_LOGGERS = ("kubernetes", "urllib3", "httpx", "httpcore", "hpack")


# CPython collects the young generation every 700 new container objects and considers a full
# collection every tenth time the middle one is collected. A burst of 10,000 creates then ran ~4,400
# young and 22-27 full collections, each full one walking every object's state: 17-28 s of the
# operator's ~160 s of CPU. Ten times the threshold: ~340 and 2, 8-11 s; ~3 MB more (bench/README).
YOUNG_GENERATION_THRESHOLD = 7000


def settle_gc() -> None:
    """What start-up built lives as long as the process: frozen, it is out of the cyclic
    collector's sight (a full collection then weighs a burst's survivors, not everything imported);
    and the young generation is collected ten times less often."""
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pingone-operator run", description="Run the operator.")
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace (default)")
    scope.add_argument(
        "-n", "--namespace", action="append", default=[],
        help="watch only this namespace (repeatable; overrides WATCH_NAMESPACES)",
    )
    parser.add_argument("--liveness-port", type=int, default=8080, help="port of /healthz (0: off); default 8080")
    parser.add_argument("--liveness-host", default="0.0.0.0", help="address /healthz listens on")
    parser.add_argument("--metrics-port", type=int, default=9090, help="port of /metrics (0: off); default 9090")
    parser.add_argument("--metrics-host", default="0.0.0.0", help="address /metrics listens on")
    parser.add_argument(
        "--log-format", choices=("json", "text"), default="json", help="log line format; default json"
    )
    return parser.parse_args(argv)


def peering_priority(settings: OperatorSettings) -> int:
    """PEERING_PRIORITY, else minus the start time in microseconds: the oldest replica is active, and a
    new or restarted one waits as its standby instead of taking over. Priorities must differ: kopf
    pauses every operator of a peering that sees another with its own priority."""
    if settings.peering_priority is not None:
        return settings.peering_priority
    return -(time.time_ns() // 1000)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        load_pingone_settings()
        operator_settings = load_operator_settings()
    except ConfigError as exc:
        print(f"pingone-operator: configuration error: {exc}", file=sys.stderr)
        return 2

    import kopf

    level = operator_settings.log_level
    kopf.configure(
        debug=level == "DEBUG",
        verbose=level == "DEBUG",
        quiet=level in ("WARNING", "ERROR"),
        log_format=kopf.LogFormat.JSON if args.log_format == "json" else kopf.LogFormat.FULL,
        log_refkey="object",
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

    from .. import metrics
    from . import handlers  # noqa: F401  (importing handlers registers them with kopf)
    from . import empty_patches, kopf_context, kube_session, late_crds, lean_bodies, quiet_toggles

    empty_patches.install()
    kopf_context.install()
    late_crds.install()
    lean_bodies.install()
    quiet_toggles.install()

    if args.metrics_port:
        metrics.serve(args.metrics_port, args.metrics_host)

    settle_gc()
    namespaces = args.namespace or list(operator_settings.watch_namespaces)
    liveness = f"http://{args.liveness_host}:{args.liveness_port}/healthz" if args.liveness_port else None
    peering = operator_settings.peering_name  # its scope and lifetime: handlers.configure
    kopf.run(
        # One replica runs standalone (Recreate); more share a peering: one active, the others standby.
        standalone=not peering,
        peering_name=peering,
        priority=peering_priority(operator_settings) if peering else None,
        # The pod's name in the peering object (kopf's own default is user@host/time).
        identity=os.environ.get("POD_NAME") if peering else None,
        clusterwide=not namespaces,
        namespaces=namespaces,
        liveness_endpoint=liveness,
        memo=kopf.Memo(kube_connection_limit=kube_session.connection_limit(namespaces)),
    )
    return 0
