"""bench/stats.phases: a bulk run's wall time split at its first and last PingOne call."""

from __future__ import annotations

import pytest

from bench.stats import phases


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
