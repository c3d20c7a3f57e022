"""At most ``max_websockets_per_user`` GraphQL websockets open at once per user in one API
process.

A socket runs at most ``MAX_OPERATIONS_PER_SOCKET`` operations, but one user could open
sockets without end, each holding its subscriptions, their feeds and their access
re-decisions. A socket counts for its user from its accepted ``connection_init`` (the
token names the user there) until it ends, whatever ends it; one more is closed at its
``connection_init`` with ``4429`` (graphql-transport-ws's "too many" close code) and a
reason in the shape a refused token's ``4403`` has, ``<code> <rule>: <message>``. Each API
process counts its own sockets (``carecoord api --workers N``: N times the cap in all).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

CLOSE_CODE = 4429
RULE = "websockets-per-user"


@dataclass(slots=True)
class Held:
    """One user's socket, counted until ``release``; a second release counts nothing."""

    sockets: SocketsPerUser
    user: str
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.sockets.release(self.user)


@dataclass(slots=True)
class SocketsPerUser:
    limit: int
    _open: Counter[str] = field(default_factory=Counter)

    def hold(self, user: str) -> Held | None:
        """A socket counted for ``user``, or None when they have ``limit`` open already."""
        if self._open[user] >= self.limit:
            return None
        self._open[user] += 1
        return Held(self, user)

    def release(self, user: str) -> None:
        self._open[user] -= 1
        if self._open[user] <= 0:
            del self._open[user]  # a user gone leaves no entry behind

    def open(self, user: str) -> int:
        return self._open[user]

    @property
    def refusal(self) -> str:
        """The close frame's reason for one socket past the limit (under 123 bytes)."""
        return (
            f"BAD_REQUEST {RULE}: at most {self.limit} websockets open at once per user;"
            " close one first"
        )
