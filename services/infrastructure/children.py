"""Child processes that end with the process that started them.

A child left running after its parent was killed holds what it held (a port, a data
directory, a lock its siblings wait on) with nobody left to stop it.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent(signum: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send ``signum`` to the child when this process
    ends, however it ends (Linux; None elsewhere). Only for a process without threads: a
    ``preexec_fn`` runs Python between fork and exec, where a lock another thread held at
    the fork is never released (subprocess's docs); one with threads has the child call
    ``die_with`` itself.

    The kernel watches the *thread* that started the child, so start such children from
    the main thread.
    """
    if sys.platform != "linux":
        return None
    return functools.partial(_arm, _prctl(), signum, os.getpid())  # looked up before the fork


def die_with(parent: int, signum: int) -> None:
    """``die_with_parent`` done by the child itself as it starts, ``parent`` the pid that
    started it: if that one ended meanwhile, ``signum`` comes at once."""
    if sys.platform == "linux":
        _arm(_prctl(), signum, parent)


def _prctl() -> Callable[[int, int], int]:
    prctl: Callable[[int, int], int] = ctypes.CDLL(None, use_errno=True).prctl
    return prctl


def _arm(prctl: Callable[[int, int], int], signum: int, parent: int) -> None:
    prctl(PR_SET_PDEATHSIG, signum)
    if os.getppid() != parent:  # the parent was already gone before the line above
        os.kill(os.getpid(), signum)
