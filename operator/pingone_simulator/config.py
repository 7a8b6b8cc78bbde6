"""Configuration of one simulator instance."""

from __future__ import annotations

from dataclasses import dataclass, field

AUTH_METHODS_WITH_SECRET = ("CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "CLIENT_SECRET_JWT")
FILTER_MODES = ("honour", "refuse", "ignore")  # what the applications list does with `filter`
# Malformed 2xx answers a proxy or a broken gateway can give (pingone-pitfalls.md §6).
BODY_FAULTS = ("html", "truncated", "no-id")


@dataclass
class FailRule:
    """Answer the next `count` requests whose method and path match with `status`.

    Without `body`, `status` is a PingOne error (default 500). With `body` (one of BODY_FAULTS) it
    is a malformed answer (default status 200): "html" replaces the request with a proxy's HTML
    page; "truncated" and "no-id" handle the request, then cut its JSON in half or drop its `id`.
    """

    method: str = "*"  # "*" or an HTTP method
    path_regex: str = ".*"  # searched in the request path
    status: int | None = None  # None: 200 with `body`, else 500
    count: int = 1
    body: str | None = None

    def __post_init__(self) -> None:
        if self.body is not None and self.body not in BODY_FAULTS:
            raise ValueError(f"body must be one of {list(BODY_FAULTS)}, not {self.body!r}")
        if self.status is None:
            self.status = 200 if self.body else 500


@dataclass
class FaultConfig:
    """Faults applied to PingOne routes (never to /_simulator/)."""

    error_rate: float = 0.0  # probability of a 5xx per request
    error_status: int = 500  # 500 (UNEXPECTED_ERROR) or 503
    latency_ms: float = 0.0  # fixed delay added to every request
    latency_jitter_ms: float = 0.0  # plus a uniform random delay up to this
    drop_rate: float = 0.0  # probability of closing the connection without a response
    token_outage: bool = False  # token endpoint answers 503
    seed: int | None = None  # makes the random draws reproducible
    fail_next: list[FailRule] = field(default_factory=list)


@dataclass
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = pick a free port
    environment_id: str | None = None  # seeded environment; random UUID when None
    seed_worker: bool = True  # seed one worker app in that environment
    worker_client_id: str | None = None  # random UUID when None
    worker_client_secret: str | None = None  # random secret when None
    worker_auth_method: str = "CLIENT_SECRET_BASIC"
    worker_name: str = "pingone-simulator-worker"
    rate_limit: float | None = None  # requests/second across PingOne routes; None = unlimited
    token_lifetime: int = 3600  # access-token lifetime in seconds
    strict: bool = False  # also enforce the rules the research marks as inferred [I]
    faults: FaultConfig = field(default_factory=FaultConfig)
    max_applications: int = 1000  # per environment (PingOne platform limit)
    page_size: int = 100  # applications per list page when the request has no `limit`
    filter_mode: str = "honour"  # one of FILTER_MODES
    request_log_size: int = 10000  # most recent requests kept
