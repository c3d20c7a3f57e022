"""How a follower of the store's log far behind it is getting on, said in the log: a projector
restarted after thousands of events piled up (or the relay after a broker outage) worked
through them for minutes and logged nothing at all, so an operator could not tell it from a
stuck one nor say when it would be done.

A follower that starts behind says so with where it is and the store's head; while its pages
come full it says every ``REPORT_SECONDS`` how far it is, how far behind, at what rate; and
once a page is not full, that it has caught up and how long it took. A backlog that builds up
while it runs is said the same way once it has lasted ``REPORT_SECONDS``; a short burst of
full pages says nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger("carecoord.catching_up")

REPORT_SECONDS = 5.0


@dataclass
class CatchingUp:
    """One follower's catch-up; ``head`` reads the store's last position (asked only when a
    line is said, not for every page)."""

    follower: str
    head: Callable[[], Awaitable[int]]
    every: float = REPORT_SECONDS
    _began: float | None = field(default=None, init=False)
    """When the current backlog was first seen; None while the follower keeps up."""
    _said: float = field(default=0.0, init=False)
    _told: bool = field(default=False, init=False)
    _events: int = field(default=0, init=False)

    async def start(self, position: int) -> None:
        head = await self.head()
        if head > position:
            self._begin()
            self._say(position, head)

    async def moved(self, position: int, events: int, *, full: bool) -> None:
        """The follower reached ``position`` with ``events`` more; ``full``: the page it read
        was as large as it asks for (more is waiting)."""
        began = self._began
        if began is None:
            if not full:
                return
            began = self._begin()
        self._events += events
        if not full:
            if self._told:
                self._line(
                    "caught up",
                    position=position,
                    events=self._events,
                    seconds=round(time.monotonic() - began, 1),
                )
            self._began = None
            return
        if time.monotonic() - self._said >= self.every:
            self._say(position, await self.head())

    def _begin(self) -> float:
        self._began = self._said = time.monotonic()
        self._told, self._events = False, 0
        return self._began

    def _say(self, position: int, head: int) -> None:
        assert self._began is not None
        elapsed = time.monotonic() - self._began
        rate = {"events_per_second": round(self._events / elapsed)} if self._events else {}
        self._line("catching up", position=position, head=head, behind=max(0, head - position),
                   **rate)  # fmt: skip
        self._said, self._told = time.monotonic(), True

    def _line(self, msg: str, **fields: object) -> None:
        log.info(msg, extra={"follower": self.follower, **fields})
