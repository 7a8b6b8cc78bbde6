"""A local, in-memory PingOne simulator (management API for OIDC applications + token endpoint)."""

from .config import FailRule, FaultConfig, SimulatorConfig
from .server import RunningSimulator, ThreadedSimulator, build_app, start_simulator
from .state import SimulatorState, WorkerCredentials

Simulator = SimulatorState

__all__ = [
    "FailRule", "FaultConfig", "RunningSimulator", "Simulator", "SimulatorConfig", "SimulatorState",
    "ThreadedSimulator", "WorkerCredentials", "build_app", "start_simulator",
]
