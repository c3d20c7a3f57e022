"""How fast one GraphQL websocket may send messages: ``MESSAGES_AT_ONCE`` in a burst, then
``MESSAGES_PER_SECOND``; a socket past it is closed with ``CLOSE_CODE`` (Policy Violation)
and a reason in the shape of the other refusals, ``<code> <rule>: <message>``.

A socket runs at most ``MAX_OPERATIONS_PER_SOCKET`` operations at once, but each message
past that was still read, decoded and answered on the event loop every push of the process
waits on: one socket sending subscribe and complete (or ping) as fast as it could, some
8,000 a second, held every other subscriber's push for about a second where it took 60 ms.
A proxy's rate limits count requests and connections, never the messages inside a socket.

A client opening a full socket's subscriptions at once, and completing and replacing them
all as its user moves on, stays well inside the burst; a keep-alive ping every few seconds
is far below the rate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

MESSAGES_AT_ONCE = 400
MESSAGES_PER_SECOND = 50
CLOSE_CODE = 1008
RULE = "messages-per-socket"
REASON = (
    f"BAD_REQUEST {RULE}: at most {MESSAGES_PER_SECOND} messages a second on one socket"
    f" ({MESSAGES_AT_ONCE} at once)"
)


@dataclass(slots=True)
class MessageRate:
    """One socket's budget of messages: full at first, refilled as time passes."""

    at_once: int = MESSAGES_AT_ONCE
    per_second: float = MESSAGES_PER_SECOND
    _left: float = field(default=-1.0, init=False)
    _at: float = field(default_factory=time.monotonic, init=False)

    def __post_init__(self) -> None:
        self._left = float(self.at_once)

    def take(self) -> bool:
        """Count one message; False once the socket has sent more than its budget."""
        now = time.monotonic()
        self._left = min(self.at_once, self._left + (now - self._at) * self.per_second)
        self._at = now
        if self._left < 1:
            return False
        self._left -= 1
        return True
