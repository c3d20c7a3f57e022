"""Child processes that end with the process that started them.

A child left running after its parent was killed holds what it held (a port, a data
directory, a lock its siblings wait on) with nobody left to stop it.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send ``signum`` to the child when this process
    ends, however it ends (Linux; None elsewhere).

    The kernel watches the *thread* that started the child, so start such children from
    the main thread.
    """
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    parent = os.getpid()

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, signum)
        if os.getppid() != parent:  # the parent was already gone before the line above
            os.kill(os.getpid(), signum)

    return arm
