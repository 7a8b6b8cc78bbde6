"""bench.trace lines up one create's requests from three logs: the filtering and pairing it relies on."""

from bench.harness import wall_seconds as _wall
from bench.trace import _kube_steps, _numbered, _pingone_steps

T0 = _wall("2026-12-02T10:00:00.000Z")


def audit(verb, resource, received, answered, subresource=None):
    ref = {"resource": resource, **({"subresource": subresource} if subresource else {})}
    return {"verb": verb, "objectRef": ref, "requestReceivedTimestamp": received, "stageTimestamp": answered}


def test_kubernetes_steps_are_the_writes_received_within_the_window():
    events = [
        audit("patch", "pingoneapplications", "2026-12-02T10:00:00.010000Z", "2026-12-02T10:00:00.015000Z", "status"),
        audit("watch", "pingoneapplications", "2026-12-02T10:00:00.011000Z", "2026-12-02T10:00:00.011000Z"),
        audit("create", "secrets", "2026-12-02T10:00:00.999000Z", "2026-12-02T10:00:01.001000Z"),  # after the window
    ]
    steps = _kube_steps(events, T0, T0 + 0.5)
    assert [label for _, _, label in steps] == ["Kubernetes patch pingoneapplications/status"]
    begin, finish, _ = steps[0]
    assert round(1000 * (begin - T0), 3) == 10.0 and round(1000 * (finish - begin), 3) == 5.0


def test_a_pingone_step_starts_its_duration_before_the_simulator_logged_it():
    logged = [{"method": "POST", "route": "/v1/environments/{env}/applications", "status": 201,
               "timestamp": "2026-12-02T10:00:00.020Z", "durationMs": 1.5}]
    (begin, finish, label), = _pingone_steps(logged, T0, T0 + 0.5)
    assert label == "PingOne POST /v1/environments/{env}/applications 201"
    assert round(1000 * (finish - T0), 3) == 20.0 and round(1000 * (finish - begin), 3) == 1.5


def test_a_step_seen_twice_in_one_create_is_numbered_in_time_order():
    steps = _numbered([(T0 + 0.03, T0 + 0.04, "patch"), (T0 + 0.01, T0 + 0.02, "patch"), (T0 + 0.02, T0 + 0.02, "POST")])
    assert [(round(1000 * (b - T0)), label) for b, _, label in steps] == [(10, "patch"), (20, "POST"), (30, "patch #2")]
