"""The collector runs less during a lint, still frees cycles, and is put back."""
from __future__ import annotations

import gc
import weakref

from pinlint.gcpolicy import collect_less


class _Cyclic:
    def __init__(self) -> None:
        self.me = self


def test_cycles_are_still_freed_and_everything_is_put_back() -> None:
    threshold = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with collect_less():
        assert gc.get_threshold()[0] == threshold[0] * 20
        with collect_less():  # a scan inside a lint
            assert gc.get_threshold()[0] == threshold[0] * 20
        gc.collect()  # counts from zero
        alive = weakref.ref(_Cyclic())  # garbage that only the collector frees
        keep = [[] for _ in range(threshold[0] * 3)]  # would have collected it three times over
        assert alive() is not None
        keep += [[] for _ in range(threshold[0] * 20 * 3)]
        assert alive() is None and keep
    assert gc.get_threshold() == threshold
    assert gc.get_freeze_count() == frozen


def test_put_back_when_the_run_fails() -> None:
    threshold = gc.get_threshold()
    try:
        with collect_less():
            raise ValueError("bad input")
    except ValueError:
        pass
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == 0


def test_what_the_host_program_froze_stays_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with collect_less():
            pass
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
