"""Prometheus metrics, served on /metrics. Names are prefixed `pingone_operator_`.

Labels never carry secrets; per-resource series are labelled by namespace and name only, and are
removed when the resource goes away.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from .plan.conditions import find_condition
from .plan.outcome import Outcome
from .plan.rotation import parse_time

REGISTRY = CollectorRegistry()

RECONCILES = Counter(
    "pingone_operator_reconciles",
    "Syncs of a PingOneApplication or PingOneResource, by trigger and result (ok or a failure reason).",
    ["trigger", "result"], registry=REGISTRY,
)
PINGONE_REQUESTS = Counter(
    "pingone_operator_pingone_requests", "Requests to PingOne's management API, by method and HTTP status.",
    ["method", "status"], registry=REGISTRY,
)
PINGONE_LATENCY = Histogram(
    "pingone_operator_pingone_request_duration_seconds", "Latency of PingOne management API requests.",
    ["method"], registry=REGISTRY, buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RATE_LIMIT_WAITS = Counter(
    "pingone_operator_rate_limit_waits", "429 answers from PingOne that paused all calls for Retry-After.",
    registry=REGISTRY,
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "pingone_operator_rate_limit_wait_seconds", "Seconds PingOne calls were paused by Retry-After.",
    registry=REGISTRY,
)
PACING_WAIT_SECONDS = Counter(
    "pingone_operator_pacing_wait_seconds",
    "Seconds PingOne calls waited for their turn in the operator's own rate budget (PINGONE_REQUESTS_PER_SECOND, "
    "shared by every connection to one API host).",
    registry=REGISTRY,
)
DRIFT_CORRECTIONS = Counter(
    "pingone_operator_drift_corrections", "Applications and resources restored after drift was found.",
    registry=REGISTRY,
)
DRIFT_DETECTED = Counter(
    "pingone_operator_drift_detected",
    "Drift found on ObserveOnly applications and resources (reported, not corrected).",
    registry=REGISTRY,
)
DRIFT_CHECKS_DEFERRED = Counter(
    "pingone_operator_drift_checks_deferred",
    "Drift checks that gave way to changes queued for PingOne's rate budget (each comes an interval later).",
    registry=REGISTRY,
)
MALFORMED_RESPONSES = Counter(
    "pingone_operator_pingone_malformed_responses",
    "2xx answers from PingOne that were not the documented JSON (e.g. a proxy's HTML page), by method.",
    ["method"], registry=REGISTRY,
)
DELETIONS_ABANDONED = Counter(
    "pingone_operator_deletions_abandoned",
    "Deletions that could not reach PingOne within DELETE_GIVE_UP_SECONDS; the application was left in PingOne.",
    registry=REGISTRY,
)
READY = Gauge(
    "pingone_operator_resource_ready", "1 if the PingOneApplication is Ready, else 0.",
    ["namespace", "name"], registry=REGISTRY,
)
SECRET_ROTATED = Gauge(
    "pingone_operator_secret_rotation_timestamp_seconds", "When the client secret was last rotated (Unix time).",
    ["namespace", "name"], registry=REGISTRY,
)
PREVIOUS_SECRET_EXPIRY = Gauge(
    "pingone_operator_previous_secret_expiry_timestamp_seconds",
    "When the previous client secret stops working (Unix time).",
    ["namespace", "name"], registry=REGISTRY,
)
PER_RESOURCE = (READY, SECRET_ROTATED, PREVIOUS_SECRET_EXPIRY)


def observe_pingone(method: str, status: str, seconds: float) -> None:
    PINGONE_REQUESTS.labels(method, status).inc()
    PINGONE_LATENCY.labels(method).observe(seconds)


def observe_rate_limit(seconds: float) -> None:
    RATE_LIMIT_WAITS.inc()
    RATE_LIMIT_WAIT_SECONDS.inc(seconds)


def record(trigger: str, outcome: Outcome, namespace: str, name: str, *, gauges: bool = True) -> None:
    """One sync's outcome in the metrics (`gauges`: also the per-application series)."""
    RECONCILES.labels(trigger, outcome.failure.reason if outcome.failure else "ok").inc()
    for event in outcome.events:
        if event.reason == "DriftCorrected":
            DRIFT_CORRECTIONS.inc()
        elif event.reason == "DriftDetected":
            DRIFT_DETECTED.inc()
    if not gauges:
        return
    ready = find_condition(outcome.status.conditions, "Ready")
    if ready:
        READY.labels(namespace, name).set(1 if ready.status == "True" else 0)
    rotation = outcome.status.secretRotation
    for gauge, value in ((SECRET_ROTATED, rotation and rotation.lastRotatedAt),
                         (PREVIOUS_SECRET_EXPIRY, rotation and rotation.previousExpiresAt)):
        moment = parse_time(value)
        if moment:
            gauge.labels(namespace, name).set(moment.timestamp())


def forget(namespace: str, name: str) -> None:
    for gauge in PER_RESOURCE:
        try:
            gauge.remove(namespace, name)
        except KeyError:
            pass


def serve(port: int, host: str = "0.0.0.0") -> None:
    start_http_server(port, addr=host, registry=REGISTRY)


class PrometheusObserver:
    """Feeds the PingOne client's hooks into the metrics above."""

    def response(self, method: str, status: str, seconds: float) -> None:
        observe_pingone(method, status, seconds)

    def rate_limited(self, seconds: float) -> None:
        observe_rate_limit(seconds)

    def paced(self, seconds: float) -> None:
        PACING_WAIT_SECONDS.inc(seconds)

    def malformed(self, method: str) -> None:
        MALFORMED_RESPONSES.labels(method).inc()
