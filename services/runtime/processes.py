"""The processes the embedded default starts, and how to know one again later.

A process is named by its pid *and* the kernel's start time for it, so a pid that was
reused by another program after ours exited is never taken for ours. Read from /proc
on Linux; elsewhere only whether the pid exists is known.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")


@dataclass(frozen=True)
class Proc:
    pid: int
    started: int
    """Clock ticks after boot when the process started (Linux); 0 where unknown."""

    @classmethod
    def of(cls, pid: int) -> Proc | None:
        started = started_at(pid)
        return None if started is None else cls(pid, started)

    def alive(self) -> bool:
        return started_at(self.pid) == self.started

    def send(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.alive():
                os.kill(self.pid, signum)

    def stop(self, signum: int = signal.SIGTERM, *, timeout: float = 4.0) -> None:
        """Ask it to exit; kill it when it has not within ``timeout`` seconds. A process
        stopped (SIGSTOP: a server frozen, a debugger's hold) takes the signal only once it
        is continued: it is, or it waited out ``timeout`` to be killed, its data unflushed."""
        self.send(signum)
        self.send(signal.SIGCONT)
        if not self.gone_within(timeout):
            self.send(signal.SIGKILL)
            self.gone_within(2.0)

    def gone_within(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while self.alive():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def to_json(self) -> dict[str, int]:
        return {"pid": self.pid, "started": self.started}

    @classmethod
    def from_json(cls, value: Any) -> Proc | None:
        if not isinstance(value, dict):
            return None
        return cls(int(value["pid"]), int(value["started"]))


def started_at(pid: int) -> int | None:
    """The start time of a running process, or None when there is none (a zombie is none)."""
    if pid <= 0:
        return None
    if sys.platform != "linux":
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # it exists, as someone else's
        return 0
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
    return None if fields[0] in ("Z", "X") else int(fields[19])  # field 22 of proc(5)


def command_line(pid: int) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def running_with(*words: str) -> Iterator[Proc]:
    """Processes (Linux) whose command line holds each of ``words`` as one argument."""
    if not PROC.is_dir():
        return
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        argv = command_line(int(entry.name))
        if argv and all(word in argv for word in words):
            found = Proc.of(int(entry.name))
            if found is not None:
                yield found
