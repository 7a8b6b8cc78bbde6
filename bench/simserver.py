"""The PingOne simulator as a subprocess for the benchmarks (its CPU is not the bench's GIL).

Same simulator as `pingone-operator simulator`, with two settings the command line does not
offer: a request log large enough to hold every request of a benchmark phase (429s are counted
from it), and the per-environment application limit. PingOne's limit is 1,000 applications per
environment and the seeded worker application counts towards it in the simulator, so 1,000
resources plus the worker need a limit above 1,000 (a real tenant would split them over two
environments). Prints one line, `BENCH-SIMULATOR {json}`, with the URLs and the worker's
credentials (a throw-away simulator on loopback).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import uuid

from pingone_simulator import SimulatorConfig
from pingone_simulator.server import start_simulator


async def _serve(config: SimulatorConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    running = await start_simulator(config)
    try:
        worker = running.state.worker
        assert worker is not None
        print("BENCH-SIMULATOR " + json.dumps({
            "api_url": running.api_url, "auth_url": running.auth_url, "admin_url": running.admin_url,
            "environment_id": running.environment_id, "client_id": worker.client_id,
            "client_secret": worker.client_secret, "auth_method": worker.auth_method,
        }), flush=True)
        await stop.wait()
    finally:
        await running.stop()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.simserver")
    p.add_argument("--rate-limit", type=float, default=None)
    p.add_argument("--max-applications", type=int, default=5000)
    p.add_argument("--request-log-size", type=int, default=500_000)
    args = p.parse_args()
    config = SimulatorConfig(
        port=0, environment_id=str(uuid.uuid4()), worker_client_id=str(uuid.uuid4()),
        worker_client_secret=secrets.token_urlsafe(48), worker_auth_method="CLIENT_SECRET_JWT",
        rate_limit=args.rate_limit, max_applications=args.max_applications,
        request_log_size=args.request_log_size,
    )
    asyncio.run(_serve(config))


if __name__ == "__main__":
    main()
