"""How the cyclic garbage collector runs while a lint runs.

A large run allocates millions of short-lived containers (composed YAML
nodes, located references), which reference counting frees: composed
documents hold no cycles (a recursive alias is rejected).  The collector
would still examine them, and every older object with them, many times: a
tenth of a large run.  While ``collect_less()`` is active:

- the objects alive when it is entered, or when a nested use is entered or
  left, are frozen out of the collector's sight (``gc.freeze``).  Forked scan
  workers then do not copy those pages by touching them either;
- a collection runs after 20 times as many allocations as usual.

It still runs, so cycles (an exception's traceback) are still freed.  The
outermost use puts everything back, except that a program which had frozen
objects of its own before (pinlint used as a library) finds them, and
pinlint's, still frozen: ``gc.unfreeze`` cannot tell them apart.
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_active = 0


@contextlib.contextmanager
def collect_less() -> Iterator[None]:
    global _active
    if _active:  # nested: freeze what was made so far (a scan's results), on entry and exit
        gc.freeze()
        _active += 1
        try:
            yield
        finally:
            _active -= 1
            gc.freeze()
        return
    # A program that froze objects of its own (pinlint used as a library)
    # keeps them frozen: then what pinlint froze stays frozen too.
    host_froze = gc.get_freeze_count() > 0
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(threshold[0] * 20, *threshold[1:])
    _active = 1
    try:
        yield
    finally:
        _active = 0
        gc.set_threshold(*threshold)
        if not host_froze:
            gc.unfreeze()
