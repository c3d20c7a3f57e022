"""The ``carecoord`` console script: what runs before the command line's modules import.

Importing them takes most of a command's first second (the drivers, pydantic, the event
catalog), and Ctrl-C meanwhile raised KeyboardInterrupt through the imports: Python printed
its traceback. From here, with nothing of carecoord imported yet, an interrupt the command
did not handle itself ends the process quietly: one line, then by SIGINT, as standard tools
end on Ctrl-C (the shell says 130, and a script running it stops too)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import NoReturn

INTERRUPTED = "carecoord: interrupted; nothing was done"


def main() -> None:
    try:
        from carecoord.services.runtime import cli  # noqa: PLC0415  (the slow part, guarded)

        cli.main()
    except KeyboardInterrupt:
        interrupted()


def interrupted() -> NoReturn:
    """Say so in one line and end by SIGINT; exit 130 where SIGINT is blocked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: the line is said whole
    with contextlib.suppress(OSError):  # its reader gone too: end all the same
        print(INTERRUPTED, file=sys.stderr, flush=True)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)
    raise SystemExit(128 + signal.SIGINT)
