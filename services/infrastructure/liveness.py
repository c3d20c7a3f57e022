"""Long-running loops that recover, and say how they are doing.

The relay, the projection feed, the listeners and the sweeps run for the life of a
process. A loop that dies quietly is worse than a crash: the process looks alive while
nothing moves. So each loop runs under ``keep_running``, which retries every failure with
a growing pause (a broker or database outage of any length ends in a resume from the
loop's recorded position) and keeps the loop's last progress and last error, which
``/health`` reports. A loop failing for longer than ``stuck_after``, or holding work it
took (``working``) for that long without finishing it, makes the process ``degraded``: a
projector waiting on a lock someone holds on a view fails nothing, and read as ``ok``
however long it waited. Errors are kept as a class name and an SQLSTATE, never a message: a driver's
message may quote the data it choked on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger("carecoord.liveness")

BACKOFF_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
RECANCEL_SECONDS = 0.5


def error_code(failure: BaseException) -> str:
    """What went wrong, without the message: ``OperationalError/08006``, or with JetStream's
    error code, ``ServiceUnavailableError/10077`` (a stream at its limits refusing more):
    the class alone read the same as a broker that is down."""
    code = getattr(failure, "sqlstate", None) or getattr(failure, "err_code", None)
    name = type(failure).__name__
    return f"{name}/{code}" if code else name


@dataclass
class LoopState:
    name: str
    started_at: float = field(default_factory=time.time)
    last_progress: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    failing_since: float | None = None
    """When the current run of failures began; None while the loop works."""
    working_since: float | None = None
    """When the loop took the work it has not finished; None while it waits for more."""

    def stuck(self, now: float, after: float) -> bool:
        since = self.failing_since or self.working_since
        return since is not None and now - since >= after

    def as_json(self, now: float, after: float) -> dict[str, object]:
        return {
            "status": "stuck" if self.stuck(now, after) else "ok",
            "lastProgressSecondsAgo": _ago(now, self.last_progress),
            "lastError": self.last_error,
            "lastErrorSecondsAgo": _ago(now, self.last_error_at),
        }


def _ago(now: float, then: float | None) -> float | None:
    return None if then is None else round(now - then, 3)


@dataclass
class Liveness:
    """The loops of one process and how each is doing."""

    stuck_after: float = 30.0
    loops: dict[str, LoopState] = field(default_factory=dict)

    def loop(self, name: str) -> LoopState:
        return self.loops.setdefault(name, LoopState(name))

    def working(self, name: str) -> None:
        """The loop took work (a page of the log); ``progressed`` or ``failed`` ends it."""
        state = self.loop(name)
        if state.working_since is None:
            state.working_since = time.time()

    def progressed(self, name: str) -> None:
        state = self.loop(name)
        state.last_progress = time.time()
        state.failing_since = None
        state.working_since = None

    def failed(self, name: str, failure: BaseException) -> None:
        state = self.loop(name)
        state.working_since = None
        state.last_error = error_code(failure)
        state.last_error_at = time.time()
        if state.failing_since is None:
            state.failing_since = state.last_error_at

    def let_go(self, name: str, failure: BaseException) -> None:
        """The work taken failed and went back to whoever gave it (a batch of access-log
        entries, its reads told): its error is kept, and the loop waits for more, not
        failing, since nothing is retried that a later success would clear."""
        state = self.loop(name)
        state.working_since = None
        state.last_error = error_code(failure)
        state.last_error_at = time.time()

    def stuck(self) -> list[str]:
        now = time.time()
        return sorted(s.name for s in self.loops.values() if s.stuck(now, self.stuck_after))

    def report(self) -> dict[str, dict[str, object]]:
        now = time.time()
        return {name: s.as_json(now, self.stuck_after) for name, s in sorted(self.loops.items())}


async def keep_running(name: str, body: Callable[[], Awaitable[None]], liveness: Liveness) -> None:
    """Run ``body`` until it returns; after any failure, pause and run it again.

    ``body`` resumes from its own recorded position, so a restart repeats nothing that
    took effect and skips nothing that did not.
    """
    liveness.loop(name)
    attempt = 0
    while True:
        try:
            await body()
        except asyncio.CancelledError:
            raise
        except Exception as failure:
            liveness.failed(name, failure)
            pause = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
            attempt += 1
            log.warning(
                "loop interrupted; resuming",
                extra={"loop": name, "error": error_code(failure), "retry_in": pause},
            )
            await asyncio.sleep(pause)
        else:
            return


async def cancel_loops(tasks: Iterable[asyncio.Task[None] | None]) -> None:
    """Cancel the loops ``tasks`` and wait until each has ended.

    The cancel is repeated until it takes: Python 3.11's ``asyncio.wait_for``, which the
    drivers use, returns its result when it completes as the cancel arrives and drops the
    cancel, and a loop around it then runs on, holding a process's stop for ever.
    """
    pending = {task for task in tasks if task is not None}
    ended = list(pending)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_SECONDS)
    for task in ended:
        if not task.cancelled() and (failure := task.exception()) is not None:
            log.warning(
                "loop ended with an error as it stopped",
                extra={"loop": task.get_name(), "error": error_code(failure)},
            )
