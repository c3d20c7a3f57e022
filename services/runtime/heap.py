"""The collector's share of a long-running process's pauses.

Once a process has started, most of its objects live as long as it does: the schema, the
compiled validators, the catalog, the pools. CPython's oldest-generation collection walks
all of them each time (about 120,000 objects in the API process; a walk took 40-110 ms
here), and a request that arrives during one waits for it: that was the p99 of a quiet
timeline read. Frozen after start-up they are left out of every later collection, and a
larger first threshold makes the young collections fewer.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 7_000
"""Allocations less deallocations between young collections (CPython's default: 700)."""


def settle() -> None:
    """Collect what start-up left behind, then keep what remains out of later collections."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
