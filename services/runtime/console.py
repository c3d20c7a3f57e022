"""The ``carecoord`` console script: what runs before the command line's modules import.

Importing them takes most of a command's first second (the drivers, pydantic, the event
catalog), and Ctrl-C meanwhile raised KeyboardInterrupt through the imports: Python printed
its traceback; SIGTERM (a service manager's stop) ended it with nothing said. From here, with
nothing of carecoord imported yet, either signal the command did not handle itself ends the
process quietly: one line, then by that signal, as standard tools end (the shell says 130 or
143, and a script running it stops too). No server is started before the command takes the
signals in hand, so none is left running."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType
from typing import NoReturn

INTERRUPTED = "carecoord: interrupted; nothing was done"
TERMINATED = "carecoord: terminated (SIGTERM); nothing was done"


class Terminated(BaseException):
    """SIGTERM came before the command set its own handlers (a BaseException, as
    KeyboardInterrupt is: no ``except Exception`` on the way takes it for a failure)."""


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)
    # Taken even when inherited ignored, as by a command a script starts in the background
    # (`carecoord up &`): the command line takes it later anyway, and one sent before was lost.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        from carecoord.services.runtime import cli  # noqa: PLC0415  (the slow part, guarded)

        cli.main()
    except KeyboardInterrupt:
        ended(signal.SIGINT, INTERRUPTED)
    except Terminated:
        ended(signal.SIGTERM, TERMINATED)


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def ended(signum: signal.Signals, line: str) -> NoReturn:
    """Say ``line`` and end by ``signum``; exit 128 + its number where it is blocked."""
    signal.signal(signum, signal.SIG_IGN)  # the same signal again: the line is said whole
    with contextlib.suppress(OSError):  # its reader gone too: end all the same
        print(line, file=sys.stderr, flush=True)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    raise SystemExit(128 + signum)
