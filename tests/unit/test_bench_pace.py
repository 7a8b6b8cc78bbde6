"""bench/baseline.Pace: the bare baseline's PingOne calls are spaced as the operator's pacer spaces them."""

from __future__ import annotations

import pytest

from bench.baseline import Pace


class Clock:
    """Time that passes only when a caller sleeps."""

    def __init__(self) -> None:
        self.now = 50.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def test_calls_at_once_are_spaced_at_the_rate():
    clock = Clock()
    pace = Pace(10, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        pace()
    assert clock.sleeps == pytest.approx([0.0, 0.1, 0.2, 0.3])


def test_a_caller_after_a_pause_goes_at_once():
    clock = Clock()
    pace = Pace(10, clock=clock, sleep=clock.sleep)
    pace()
    clock.now += 5
    pace()
    assert clock.sleeps == pytest.approx([0.0, 0.0])
