"""Build, start and stop the simulator's aiohttp server."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

from aiohttp import web

from . import crud, routes_admin, routes_api, routes_token
from .api_collections import ROUTES
from .config import SimulatorConfig
from .httputil import STATE
from .middleware import pipeline
from .state import SimulatorState

log = logging.getLogger("pingone_simulator")


def build_app(state: SimulatorState) -> web.Application:
    app = web.Application(middlewares=[pipeline], client_max_size=1024 * 1024)
    app[STATE] = state
    routes_token.add_routes(app)
    routes_api.add_routes(app)
    for path, collection in ROUTES:
        crud.add_routes(app, path, collection)
    routes_admin.add_routes(app)
    return app


@dataclass
class RunningSimulator:
    state: SimulatorState
    runner: web.AppRunner
    host: str
    port: int

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/v1"

    @property
    def auth_url(self) -> str:
        return self.base_url

    @property
    def admin_url(self) -> str:
        return self.base_url + routes_admin.ADMIN

    @property
    def environment_id(self) -> str:
        return self.state.environment_id

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_simulator(config: SimulatorConfig | None = None) -> RunningSimulator:
    """Start listening; `config.port == 0` picks a free port (see `.port`)."""
    config = config or SimulatorConfig()
    state = SimulatorState(config)
    # No aiohttp access log: the middleware keeps its own redacted one.
    runner = web.AppRunner(build_app(state), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, reuse_address=True)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    running = RunningSimulator(state, runner, config.host, port)
    state.api_base, state.auth_base = running.api_url, running.auth_url
    log.info("PingOne simulator listening on %s", running.base_url)
    return running


class ThreadedSimulator:
    """The simulator on its own event loop in a daemon thread, for synchronous callers.

    Use as a context manager. `state` must only be touched through `call()`, which runs a
    function on the simulator's loop.
    """

    def __init__(self, config: SimulatorConfig | None = None):
        self._config = config
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pingone-simulator", daemon=True)
        self.running: RunningSimulator | None = None

    def start(self) -> RunningSimulator:
        self._thread.start()
        self.running = asyncio.run_coroutine_threadsafe(start_simulator(self._config), self._loop).result(30)
        return self.running

    def call(self, func, *args, **kwargs):
        async def run():
            return func(*args, **kwargs)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)

    def stop(self) -> None:
        if self.running is not None:
            asyncio.run_coroutine_threadsafe(self.running.stop(), self._loop).result(30)
            self.running = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> RunningSimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
