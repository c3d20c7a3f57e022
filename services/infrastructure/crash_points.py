"""Named moments where a fault test may kill this process, to prove a crash there is safe.

``CARECOORD_CRASH_AT=<point>[:<n>]`` sends this process SIGKILL the n-th time (default:
the first) it passes ``point``. Unset, passing a point is one comparison. The points sit
where a crash is most likely to lose or repeat work: between reading events and applying
them, inside a batch's transaction, between a commit and what follows it.
"""

from __future__ import annotations

import os
import signal

_POINT, _, _NTH = os.environ.get("CARECOORD_CRASH_AT", "").partition(":")
_passes = [int(_NTH or 1)]


def crash_point(name: str) -> None:
    if name != _POINT:
        return
    _passes[0] -= 1
    if _passes[0] == 0:
        os.kill(os.getpid(), signal.SIGKILL)
