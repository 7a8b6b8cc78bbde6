"""`pingone-operator simulator`: serve the PingOne simulator until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from .config import FILTER_MODES, FaultConfig, SimulatorConfig
from .server import start_simulator
from .validation import AUTH_METHODS


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="pingone-operator simulator",
                                description="Serve a local in-memory PingOne simulator.")
    p.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--environment-id", help="ID of the seeded environment (default: random UUID)")
    p.add_argument("--worker-client-id", help="client ID of the seeded worker app (default: random UUID)")
    p.add_argument("--worker-client-secret", help="its secret (default: random)")
    p.add_argument("--worker-auth-method", default="CLIENT_SECRET_BASIC",
                   choices=[m for m in AUTH_METHODS if m.startswith("CLIENT_SECRET")])
    p.add_argument("--rate-limit", type=float, help="requests per second across PingOne routes")
    p.add_argument("--token-lifetime", type=int, default=3600, help="access-token lifetime in seconds")
    p.add_argument("--strict", action="store_true", help="also enforce rules the research marks as inferred")
    p.add_argument("--filter-mode", default="honour", choices=FILTER_MODES,
                   help="what the applications list does with `filter` (default honour)")
    p.add_argument("--page-size", type=_positive_int, default=100,
                   help="applications per list page when the request has no limit (default 100)")
    # PingOne's limit is 1,000 per environment and the worker counts towards it: a benchmark of
    # 1,000 resources needs more.
    p.add_argument("--max-applications", type=_positive_int, default=1000,
                   help="applications per environment (default 1000, PingOne's limit)")
    p.add_argument("--request-log-size", type=_positive_int, default=10000,
                   help="most recent requests kept for /_simulator/requests (default 10000)")
    p.add_argument("--error-rate", type=float, default=0.0, help="fraction of requests answered with a 5xx")
    p.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every request")
    p.add_argument("--fault-seed", type=int, help="seed for reproducible fault injection")
    p.add_argument("--print-credentials", action="store_true",
                   help="also print the worker client secret (demos only)")
    p.add_argument("--log-level", default="WARNING")
    return p.parse_args(argv)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = SimulatorConfig(
        host=args.host, port=args.port, environment_id=args.environment_id,
        worker_client_id=args.worker_client_id, worker_client_secret=args.worker_client_secret,
        worker_auth_method=args.worker_auth_method, rate_limit=args.rate_limit,
        token_lifetime=args.token_lifetime, strict=args.strict,
        filter_mode=args.filter_mode, page_size=args.page_size,
        max_applications=args.max_applications, request_log_size=args.request_log_size,
        faults=FaultConfig(error_rate=args.error_rate, latency_ms=args.latency_ms, seed=args.fault_seed))
    try:
        asyncio.run(_serve(config, args.print_credentials))
    except OSError as exc:
        print(f"pingone-operator simulator: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(config: SimulatorConfig, print_credentials: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    running = await start_simulator(config)
    try:
        worker = running.state.worker
        parts = [f"PINGONE_API_URL={running.api_url}", f"PINGONE_AUTH_URL={running.auth_url}",
                 f"PINGONE_ENVIRONMENT_ID={running.environment_id}"]
        if worker is not None:
            parts += [f"PINGONE_CLIENT_ID={worker.client_id}", f"PINGONE_TOKEN_AUTH_METHOD={worker.auth_method}"]
            if print_credentials:
                parts.append(f"PINGONE_CLIENT_SECRET={worker.client_secret}")
        print("PingOne simulator listening: " + " ".join(parts), flush=True)
        await stop.wait()
    finally:
        await running.stop()
