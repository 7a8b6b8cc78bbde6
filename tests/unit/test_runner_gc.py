"""The operator's collector settings: start-up's objects frozen, the young generation's threshold
raised, the older generations' thresholds kept."""

import gc

from pingone_operator.controller import runner


def test_settle_gc_freezes_start_up_and_raises_only_the_young_threshold():
    before = gc.get_threshold()
    try:
        gc.unfreeze()
        runner.settle_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (runner.YOUNG_GENERATION_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
