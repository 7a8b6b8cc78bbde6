"""bench/stats: a bulk run's wall time split at its first and last PingOne call, and the watch's delay."""

from __future__ import annotations

import pytest

from bench.stats import phases, watch_delays


def test_the_wall_time_splits_at_the_first_and_last_call():
    split = phases([102.0, 100.5, 101.0, 104.5], start=100.0, end=105.0)
    assert split.pop("by_second") == [1, 1, 1, 0, 1, 0]
    assert split == pytest.approx({"before_first_call_s": 0.5, "calls_s": 4.0, "after_last_call_s": 0.5,
                                   "calls_per_s": 0.75})
    assert split["before_first_call_s"] + split["calls_s"] + split["after_last_call_s"] == pytest.approx(5.0)


def test_calls_outside_the_run_do_not_count():
    split = phases([99.0, 101.0, 103.0, 106.0], start=100.0, end=105.0)
    assert split.pop("by_second") == [0, 1, 0, 1, 0, 0]
    assert split == pytest.approx({"before_first_call_s": 1.0, "calls_s": 2.0, "after_last_call_s": 2.0,
                                   "calls_per_s": 0.5})


def test_one_call_has_no_rate():
    split = phases([101.0], start=100.0, end=103.0)
    assert split["calls_s"] == 0 and split["calls_per_s"] != split["calls_per_s"]  # nan


def test_watch_delays_measure_from_the_last_status_patch_before_ready_was_seen():
    patched = {"a": [1.0, 2.0, 9.0], "b": [5.0], "c": [7.0]}  # a's patch at 9.0 came after Ready was seen
    seen = {"a": 2.5, "b": 5.1, "c": 6.0}  # c: no patch before it was seen, so no delay to measure
    delays = watch_delays(patched, seen)
    assert delays["n"] == 2
    assert delays["max_s"] == pytest.approx(0.5)
    assert delays["p50_s"] == pytest.approx(0.3)


def test_watch_delays_without_a_patch_say_so():
    assert watch_delays({}, {"a": 1.0}) == {"n": 0, "p50_s": None, "p95_s": None, "max_s": None}
